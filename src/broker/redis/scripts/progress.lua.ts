/**
 * progress.lua: stores a running job's progress, only from the current lease holder.
 *
 * KEYS[1] <base>job:<id>
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] token, ARGV[4] progress JSON
 * Returns 1 if stored, 0 if the lease is no longer current. Publishes when stored.
 */
export const PROGRESS = String.raw`
local v = redis.call('HMGET', KEYS[1], 'state', 'token')
if v[1] ~= 'active' or v[2] ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], 'progress', ARGV[4])
redis.call('PUBLISH', CHANNEL, 'progress')
return 1
`
