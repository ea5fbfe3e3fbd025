-- Take running tasks back, the lost attempt counted: ARGV[4] 'expired' (leases that
-- ended strictly before now) or a worker id, ARGV[5] the reason. Replies the ids.
local which, reason = ARGV[4], ARGV[5]
local ids
if which == 'expired' then
  ids = redis.call('ZRANGEBYSCORE', P .. 'running', '-inf', '(' .. NOW)
else
  ids = redis.call('SMEMBERS', P .. 'held:' .. which)
end
ids = sorted_unique(ids)
local requeued, dead = {}, {}
for _, id in ipairs(ids) do
  local t = load(id)
  if tonumber(t.attempt) < tonumber(t.max_attempts) then
    t.not_before = '0'
    redis.call('HSET', task_key(id), 'not_before', '0', 'error', reason)
    set_status(t, 'queued')
    requeued[#requeued + 1] = t
  else
    -- A task that keeps killing its workers must not kill them forever.
    set_status(t, 'dead')
    redis.call('HSET', task_key(id), 'finished_at', NOW, 'error', reason .. ' on every attempt')
    dead[#dead + 1] = t
  end
end
for _, t in ipairs(requeued) do
  emit('session:' .. t.session_id, 'task.requeued',
       cjson.encode({task_id = t.id, attempt = tonumber(t.attempt), reason = reason}))
end
for _, t in ipairs(dead) do
  emit('session:' .. t.session_id, 'task.dead', cjson.encode({
    task_id = t.id, attempt = tonumber(t.attempt), error = reason .. ' on every attempt'}))
end
settle_dependents(ids_of(dead))
if #ids > 0 then news() end
return ids
