/**
 * enqueue-slot.lua: a schedule slot's job, inserted only if its (deterministic) id is absent,
 * and the slot recorded as the schedule's latest (never moves back), in one atomic step.
 *
 * KEYS[1] <base>seq, KEYS[2] <base>jobs, KEYS[3] <base>keys, KEYS[4] <base>queues, KEYS[5] <base>schedules
 * plus <base>schedule:<name> and the job's keys (see enqueue.lua)
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] schedule name, ARGV[4] slot time (epoch ms),
 * ARGV[5..15] the job, as one job of enqueue.lua (its step unused), ARGV[16] its headers (JSON text) or '' for none
 * Returns { id, created }.
 */
export const ENQUEUE_SLOT = String.raw`
local now = now_ms()
local name, slot, id, task = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local r = insert_job(now, id, task, ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14])
if r[2] == 1 and ARGV[16] ~= nil and ARGV[16] ~= '' then redis.call('HSET', jkey(id), 'headers', ARGV[16]) end
local sk = B .. 'schedule:' .. name
if redis.call('EXISTS', sk) == 0 then
  redis.call('HSET', sk, 'name', name, 'task', task, 'expression', '', 'tz', '', 'active', 1, 'last_slot_at', slot, 'last_job_id', id)
  redis.call('SADD', B .. 'schedules', name)
else
  local last = redis.call('HGET', sk, 'last_slot_at')
  if not last or tonumber(slot) > tonumber(last) then
    redis.call('HSET', sk, 'last_slot_at', slot, 'last_job_id', id)
  end
end
write_counts()
if r[2] == 1 then redis.call('PUBLISH', CHANNEL, 'enqueue') end
return r
`
