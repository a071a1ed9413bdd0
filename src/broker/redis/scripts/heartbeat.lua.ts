/**
 * heartbeat.lua: records a worker's heartbeat and, in the same step, reaps workers not heard
 * from for `reap_after_ms` (by the Redis clock, so machines' clocks may disagree): their running
 * jobs go back to the queue as recover-expired.lua puts back a lapsed lease (the lost attempt is
 * not counted; the token stays, so a worker that was only paused cannot complete them), and
 * their records are removed. Finding a dead worker's jobs walks the leases set, which only
 * happens when a worker died.
 *
 * KEYS[1] <base>workers, KEYS[2] <base>worker-beats; plus <base>leases, <base>counts, and per job
 * <base>job:<id>, <base>ready:<q>, <base>expiring:<q>
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] worker id, ARGV[4] WorkerInfo JSON,
 * ARGV[5] reap after ms (0: do not reap)
 * Returns a flat list: reaped worker's info JSON, jobs requeued, … Publishes if any job moved.
 */
export const HEARTBEAT = String.raw`
local now = now_ms()
local me = ARGV[3]
redis.call('HSET', KEYS[1], me, ARGV[4])
redis.call('ZADD', KEYS[2], now, me)
local reap_after = tonumber(ARGV[5])
if reap_after <= 0 then return {} end
local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - reap_after))
if #dead == 0 then return {} end
local requeued = {}
for _, w in ipairs(dead) do requeued[w] = 0 end
local moved = 0
for _, id in ipairs(redis.call('ZRANGE', B .. 'leases', 0, -1)) do
  local holder = redis.call('HGET', jkey(id), 'worker_id')
  local h = holder and requeued[holder] ~= nil and load(id) or nil
  if h and h.state == 'active' then
    h.worker_id = holder
    unlease(h)
    drop(h, 'started_at')
    put(h, 'attempt', tonumber(h.attempt) - 1)
    to_waiting(h, 'queued', h.run_at)
    flush(h)
    requeued[h.worker_id] = requeued[h.worker_id] + 1
    moved = moved + 1
  end
end
write_counts()
local out = {}
for _, w in ipairs(dead) do
  out[#out + 1] = redis.call('HGET', KEYS[1], w) or ''
  out[#out + 1] = requeued[w]
  redis.call('HDEL', KEYS[1], w)
  redis.call('ZREM', KEYS[2], w)
  -- No more hand-offs to it; what its inbox held was leased to it, so requeued above.
  unpark(w)
  redis.call('DEL', B .. 'inbox:' .. w, B .. 'handed:' .. w)
end
if moved > 0 then redis.call('PUBLISH', CHANNEL, 'recover') end
return out
`
