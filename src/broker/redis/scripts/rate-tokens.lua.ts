/**
 * rate-tokens.lua: GCRA with strict spacing (no burst), shared by every worker. The key holds
 * the theoretical arrival time (TAT) of the next allowed start and expires at that time.
 * Does not use lib.lua.
 *
 * KEYS[1] <base>rate:<key>
 * ARGV[1] interval ms, ARGV[2] how many starts are wanted (n)
 * Returns { granted, nextAt } (nextAt as text: it may have a fraction).
 */
export const RATE_TOKENS = String.raw`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local granted = 0
while granted < n and tat <= now do
  granted = granted + 1
  tat = tat + interval
end
if granted > 0 then
  if tat > now then
    redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now))
  else
    redis.call('DEL', KEYS[1])
  end
end
return { granted, string.format('%.3f', tat) }
`
