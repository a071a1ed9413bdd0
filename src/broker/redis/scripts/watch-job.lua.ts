/**
 * watch-job.lua: a producer's read of a job it will wait for (JobHandle.result()). In the same
 * step as the read, a job that has not ended records the waiting broker's id in its `waiters`
 * field; the script that ends the job then publishes the ended job to that broker's own channel
 * (lib.lua tell_waiters), so the waiter needs no read after the notification. Jobs nobody waits
 * for carry no such field and cost nothing more when they end. Does not use lib.lua.
 *
 * KEYS[1] <base>job:<id>
 * ARGV[1] the waiting broker's id (its channel is `<prefix>events:<id>`)
 * Returns the job as HGETALL does (empty if it does not exist), as it was before the mark.
 */
export const WATCH_JOB = String.raw`
local h = redis.call('HGETALL', KEYS[1])
local state, waiters = nil, nil
for i = 1, #h, 2 do
  if h[i] == 'state' then state = h[i + 1] elseif h[i] == 'waiters' then waiters = h[i + 1] end
end
if state == nil or state == 'succeeded' or state == 'failed' or state == 'cancelled' or state == 'expired' then return h end
local me = ARGV[1]
if not waiters then
  redis.call('HSET', KEYS[1], 'waiters', me)
elseif not string.find(' ' .. waiters .. ' ', ' ' .. me .. ' ', 1, true) then
  redis.call('HSET', KEYS[1], 'waiters', waiters .. ' ' .. me)
end
return h
`
