-- wrk script: posts pre-signed Twilio webhooks from SMS_REQUESTS_FILE (lines of
-- "<signature>\t<form body>", written by scripts/sms-sign.py). Each wrk thread takes every
-- n-th line, so threads never send the same MessageSid; a thread that runs out starts again
-- from its first line (those re-sends are duplicates: answered, not stored again).
local threads = 0

function setup(thread)
   thread:set("tid", threads)
   threads = threads + 1
end

function init(args)
   local file = os.getenv("SMS_REQUESTS_FILE") or error("set SMS_REQUESTS_FILE")
   local nthreads = tonumber(os.getenv("SMS_THREADS") or "1")
   requests = {}
   local i = 0
   for line in io.lines(file) do
      if i % nthreads == tid then
         local sig, body = line:match("^([^\t]+)\t(.*)$")
         requests[#requests + 1] = wrk.format("POST", nil, {
            ["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8",
            ["X-Twilio-Signature"] = sig,
            ["I-Twilio-Idempotency-Token"] = tostring(i),
         }, body)
      end
      i = i + 1
   end
   n = 0
end

function request()
   n = n + 1
   if n > #requests then n = 1 end
   return requests[n]
end
