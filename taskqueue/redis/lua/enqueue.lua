-- ARGV[4] session id, ARGV[5] the batch as JSON (prepared and checked by the caller).
-- Replies {'ok', first id}, or what refused it: nothing is written before every check.
local sid, batch = ARGV[4], cjson.decode(ARGV[5])
if redis.call('EXISTS', P .. 'session:' .. sid) == 0 then return {'unknown_session'} end
local missing, taken = {'unknown_ids'}, {'taken_keys'}
for _, spec in ipairs(batch) do
  for _, dep in ipairs(spec.dep_ids) do
    if redis.call('HGET', task_key(dep), 'session_id') ~= sid then missing[#missing + 1] = dep end
  end
  if spec.key and redis.call('HEXISTS', P .. 'keys:' .. sid, spec.key) == 1 then
    taken[#taken + 1] = spec.key
  end
end
if #missing > 1 then return missing end
if #taken > 1 then return taken end

local first = redis.call('INCRBY', P .. 'seq:task', #batch) - #batch + 1
local ids_by_key, ready, with_deps = {}, {}, {}
for i, spec in ipairs(batch) do
  if spec.key then ids_by_key[spec.key] = first + i - 1 end
end
for i, spec in ipairs(batch) do
  local id = first + i - 1
  local t = {id = id, session_id = sid, role = spec.role, not_before = spec.not_before,
             rank = spec.rank .. string.format('%016d', id), status = 'new'}
  local fields = {'id', id, 'session_id', sid, 'role', spec.role, 'title', spec.title,
                  'input', spec.input, 'priority', spec.priority, 'rank', t.rank,
                  'attempt', 0, 'max_attempts', spec.max_attempts,
                  'not_before', spec.not_before, 'run_on_partial', spec.run_on_partial,
                  'created_at', NOW, 'status', 'new'}
  for _, name in ipairs({'key', 'skill', 'timeout_s'}) do
    if spec[name] then fields[#fields + 1] = name; fields[#fields + 1] = spec[name] end
  end
  redis.call('HSET', task_key(id), unpack(fields))
  redis.call('ZADD', P .. 'tasks:' .. sid, id, id)
  if spec.key then redis.call('HSET', P .. 'keys:' .. sid, spec.key, id) end
  local deps = {}
  for _, dep in ipairs(spec.dep_ids) do deps[#deps + 1] = dep end
  for _, key in ipairs(spec.dep_keys) do deps[#deps + 1] = ids_by_key[key] end
  for _, dep in ipairs(deps) do
    redis.call('SADD', P .. 'deps:' .. id, dep)
    redis.call('SADD', P .. 'dependents:' .. dep, id)
  end
  count(t, 'new', 1)
  if #deps > 0 then
    set_status(t, 'blocked')
    with_deps[#with_deps + 1] = id
  else
    set_status(t, 'queued')
    ready[#ready + 1] = t
  end
end
announce(ready, 'task.queued', 'enqueued')
-- Dependencies on tasks that already ended are decided at once.
settle(with_deps)
news()
return {'ok', first}
