-- wrk script: HTTP/1.1 pipelining, DEPTH requests per write (default 16).
--   wrk -t1 -c64 -d10s -s benches/pipeline.lua http://127.0.0.1:8080/ -- 16
-- wrk counts every response, so its Requests/sec is requests, not batches.
init = function(args)
   local depth = tonumber(args[1]) or 16
   local r = {}
   for i = 1, depth do
      r[i] = wrk.format(nil, "/")
   end
   req = table.concat(r)
end

request = function()
   return req
end
