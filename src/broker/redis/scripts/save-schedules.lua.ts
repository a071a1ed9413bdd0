/**
 * save-schedules.lua: stores the schedules a beat runs (upsert); schedules not in the list are
 * marked inactive, keeping their slot history (last slot, last job).
 *
 * KEYS[1] <base>schedules; plus <base>schedule:<name> per schedule
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] count n, then 5 fields per schedule:
 *   name, task, expression, tz, nextAt ('' = none)
 */
export const SAVE_SCHEDULES = String.raw`
local n = tonumber(ARGV[3])
local keep = {}
for i = 0, n - 1 do
  local o = 4 + i * 5
  local name = ARGV[o]
  local sk = B .. 'schedule:' .. name
  keep[name] = true
  redis.call('HSET', sk, 'name', name, 'task', ARGV[o + 1], 'expression', ARGV[o + 2], 'tz', ARGV[o + 3], 'active', 1)
  if ARGV[o + 4] ~= '' then redis.call('HSET', sk, 'next_at', ARGV[o + 4]) else redis.call('HDEL', sk, 'next_at') end
  redis.call('SADD', B .. 'schedules', name)
end
for _, name in ipairs(redis.call('SMEMBERS', B .. 'schedules')) do
  if not keep[name] then redis.call('HSET', B .. 'schedule:' .. name, 'active', 0) end
end
return 1
`
