-- ARGV[4] what: 'create' (ARGV[5] id, [6] request, [7] options JSON, [8] message),
-- 'options' ([5] id, [6] options JSON) or 'finish' ([5] id, [6] status, [7] message).
-- Replies 1 when something changed, else 0.
local what, sid = ARGV[4], ARGV[5]
local key = P .. 'session:' .. sid
if what == 'create' then
  redis.call('HSET', key, 'id', sid, 'request', ARGV[6], 'status', 'running',
             'options', ARGV[7], 'created_at', NOW)
  redis.call('ZADD', P .. 'sessions', NOW, sid)
  redis.call('ZADD', P .. 'session_ids', 0, sid)
  emit('session:' .. sid, 'session.created', ARGV[8])
elseif redis.call('EXISTS', key) == 0 then
  return 0
elseif what == 'options' then
  redis.call('HSET', key, 'options', ARGV[6])
else
  local status = ARGV[6]
  if redis.call('HGET', key, 'status') == status then return 0 end
  redis.call('HSET', key, 'status', status)
  if status == 'running' then
    redis.call('HDEL', key, 'finished_at')
  else
    redis.call('HSET', key, 'finished_at', NOW)
  end
  emit('session:' .. sid, 'session.done', ARGV[7])
end
news()
return 1
