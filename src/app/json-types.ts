/**
 * Types for values that cross the broker as JSON. Payloads and results are stored as JSON text,
 * so what a producer reads back is what `JSON.parse(JSON.stringify(value))` gives: a `Date` in a
 * handler's result arrives as a string, an `undefined` property is gone. These types say so at
 * compile time instead of leaving it to a surprise at run time.
 */

export type JsonPrimitive = string | number | boolean | null
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue }

type AnyFunction = (...args: any[]) => unknown
/** Values JSON.stringify drops from objects (and turns into null inside arrays). */
type Dropped = undefined | AnyFunction | symbol

/**
 * `true` when every value of type T survives a JSON round trip unchanged. `unknown` and `any`
 * pass (a handler that ignores its payload, or one that validates it with a schema). Dates,
 * Maps, Sets, bigints and functions fail: declare a Date as an ISO string.
 */
export type IsJson<T> = unknown extends T
  ? true
  : [T] extends [never]
    ? true
    : [T] extends [JsonPrimitive]
      ? true
      : IsJsonDistributed<T> extends true
        ? true
        : false

type IsJsonDistributed<T> = T extends JsonPrimitive
  ? true
  : T extends bigint | symbol | AnyFunction | Date | Map<unknown, unknown> | Set<unknown> | undefined
    ? false
    : T extends readonly (infer U)[]
      ? IsJson<U>
      : T extends object
        ? { [K in keyof T]-?: K extends symbol ? false : IsJson<Exclude<T[K], undefined>> }[keyof T] extends true
          ? true
          : false
        : false

/**
 * The parameter type that carries the JSON check: a plain `string` when the payload type is
 * JSON, otherwise a string branded with the reason, so the task's name fails to type-check with
 * a message that says why.
 */
export type NameIfJson<P, N extends string = string> =
  IsJson<P> extends true ? N : N & { 'payload type is not JSON: use strings for dates, arrays for sets, plain objects for maps': never }

type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T]

/** What `JSON.parse(JSON.stringify(value))` gives back for a value of type T. */
export type Jsonified<T> = unknown extends T
  ? unknown
  : T extends { toJSON(...args: any[]): infer J }
    ? Jsonified<J>
    : T extends JsonPrimitive
      ? T
      : T extends Dropped
        ? null
        : T extends bigint
          ? never
          : T extends Map<unknown, unknown> | Set<unknown>
            ? Record<string, never>
            : T extends readonly (infer U)[]
              ? Jsonified<U>[]
              : T extends object
                ? JsonifiedObject<T>
                : never

/** Flattens an intersection into one object type, so results read (and compare) as plain objects. */
type Simplify<T> = { [K in keyof T]: T[K] } & {}

type JsonifiedObject<T> = Simplify<{
  [K in keyof T as K extends symbol ? never : [Exclude<T[K], undefined>] extends [Dropped] ? never : K extends OptionalKeys<T> ? never : K]: Jsonified<T[K]>
} & {
  [K in keyof T as K extends symbol ? never : [Exclude<T[K], undefined>] extends [Dropped] ? never : K extends OptionalKeys<T> ? K : never]?: Jsonified<Exclude<T[K], undefined>>
}>

/** A handler's result as the producer receives it: awaited, then through JSON (`undefined` is null). */
export type ResultJson<R> = Jsonified<Awaited<R>>
