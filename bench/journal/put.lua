-- wrk script for bench/journal: PUTs of small objects through the gateway,
-- every fifth request deletes the object put just before it.

local threads = 0

function setup(thread)
    threads = threads + 1
    thread:set("tid", threads)
end

local n = 0
local body = string.rep("x", 100)
local hdrs = {
    ["Content-Type"] = "application/octet-stream",
    ["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIADEMO00000000000/"
        .. "20260101/us-east-1/s3/aws4_request, SignedHeaders=host, "
        .. "Signature=0000",
}

function request()
    n = n + 1
    if n % 5 == 0 then
        return wrk.format("DELETE",
                          string.format("/bench/w%d/k%d", tid, n - 1), hdrs)
    end
    return wrk.format("PUT", string.format("/bench/w%d/k%d", tid, n),
                      hdrs, body)
end
