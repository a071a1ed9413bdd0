/**
 * resume.lua: hands out a paused queue's jobs again, and wakes idle workers.
 *
 * KEYS[1] <base>paused, KEYS[2] <base>queues
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] queue
 */
export const RESUME = String.raw`
redis.call('SADD', B .. 'queues', ARGV[3])
if redis.call('SREM', B .. 'paused', ARGV[3]) == 1 then redis.call('PUBLISH', CHANNEL, 'resume') end
return 1
`
