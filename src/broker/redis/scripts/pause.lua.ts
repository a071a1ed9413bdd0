/**
 * pause.lua: stops handing out a queue's jobs (claim skips paused queues).
 *
 * KEYS[1] <base>paused, KEYS[2] <base>queues
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] queue
 */
export const PAUSE = String.raw`
redis.call('SADD', B .. 'queues', ARGV[3])
redis.call('SADD', B .. 'paused', ARGV[3])
return 1
`
