-- ARGV[4] 'task' or 'session', ARGV[5] its id, ARGV[6] the reason. Replies how many tasks
-- were cancelled, or -1 for an unknown task or session.
local what, target, reason = ARGV[4], ARGV[5], ARGV[6]
local unfinished = {}
if what == 'task' then
  local t = load(target)
  if not t then return -1 end
  if not TERMINAL[t.status] then unfinished[1] = t end
else
  if redis.call('EXISTS', P .. 'session:' .. target) == 0 then return -1 end
  for _, id in ipairs(redis.call('ZRANGE', P .. 'tasks:' .. target, 0, -1)) do
    local t = load(id)
    if not TERMINAL[t.status] then unfinished[#unfinished + 1] = t end
  end
end
cancel_unfinished(unfinished, reason)
if what == 'session' then
  local key = P .. 'session:' .. target
  if redis.call('HGET', key, 'status') == 'running' then
    redis.call('HSET', key, 'status', 'cancelled', 'finished_at', NOW)
    emit('session:' .. target, 'session.done',
         cjson.encode({session_id = target, status = 'cancelled'}))
  end
end
news()
return #unfinished
