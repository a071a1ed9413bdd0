/**
 * throughput.lua (read only): jobs finished per second and queue over the last `seconds`
 * seconds of the server clock, oldest first. settle.lua writes <base>tp:<second> hashes, each
 * expiring an hour after its second.
 *
 * KEYS[1] <base>seq (routing only); plus <base>tp:<second>
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] seconds
 * Returns { HGETALL of each second, oldest first }.
 */
export const THROUGHPUT = String.raw`
local now_s = math.floor(now_ms() / 1000)
local seconds = tonumber(ARGV[3])
local out = {}
for s = now_s - seconds + 1, now_s do out[#out + 1] = redis.call('HGETALL', B .. 'tp:' .. s) end
return out
`
