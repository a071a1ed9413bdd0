/**
 * unpark.lua: a worker stops claiming (it is stopping), in two calls (see inbox-reader.ts):
 *   'stop':    no more hand-offs to it (handoff-lib), and a stop mark at the end of its inbox, so
 *              its reader knows it has popped every job handed to it;
 *   'release': the jobs handed to it that it never started go back to the queue, the attempt not
 *              counted: those still in its inbox, and those given (popped but never claimed).
 *
 * KEYS[1] <base>leases; plus <base>park:<worker>, <base>parked:<q>, <base>inbox:<worker>,
 * <base>counts, and per job <base>job:<id>, <base>ready:<q>, <base>expiring:<q>
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] worker id, ARGV[4] 'stop' | 'release',
 * then for 'release' pairs: job id, token
 * Returns how many jobs went back. Publishes if any.
 */
export const UNPARK = String.raw`
local w = ARGV[3]
local inbox = B .. 'inbox:' .. w
unpark(w)
if ARGV[4] == 'stop' then
  redis.call('RPUSH', inbox, '"stop"')
  return 0
end
local n = 0
for _, entry in ipairs(redis.call('LRANGE', inbox, 0, -1)) do
  local f = cjson.decode(entry)
  if type(f) == 'table' then n = n + put_back(f[1], f[7], w) end
end
redis.call('DEL', inbox, B .. 'handed:' .. w)
for i = 5, #ARGV - 1, 2 do n = n + put_back(ARGV[i], ARGV[i + 1], w) end
write_counts()
if n > 0 then redis.call('PUBLISH', CHANNEL, 'recover') end
return n
`
