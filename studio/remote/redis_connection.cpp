#include "studio/remote/redis_connection.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cctype>
#include <charconv>

#include "engine/error.h"

namespace dit::remote {
namespace {

std::string percent_decoded(const std::string& s, const char* part) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        int v = 0;
        if (i + 2 >= s.size() ||
            std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ptr != s.data() + i + 3)
            throw Error(std::string("queue URL: bad %-escape in the ") + part);
        out += char(v);
        i += 2;
    }
    return out;
}

int parse_int(const std::string& s, int lo, int hi, const char* part) {
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi)
        throw Error(std::string("queue URL: ") + part + " must be an integer in [" + std::to_string(lo) + ", " +
                    std::to_string(hi) + "], got '" + s + "'");
    return v;
}

timeval to_timeval(int ms) { return timeval{ms / 1000, (ms % 1000) * 1000}; }

}  // namespace

std::string RedisUrl::display() const {
    std::string s = "redis://";
    if (!user.empty()) s.append(user).append(password.empty() ? "@" : ":***@");
    else if (!password.empty()) s.append(":***@");
    const bool ipv6 = host.find(':') != std::string::npos;
    s.append(ipv6 ? "[" : "").append(host).append(ipv6 ? "]:" : ":").append(std::to_string(port));
    if (db) s.append("/").append(std::to_string(db));
    return s;
}

RedisUrl parse_redis_url(const std::string& text) {
    const std::string scheme = "redis://";
    if (text.rfind(scheme, 0) != 0)
        throw Error("queue URL: must start with redis:// (rediss:// is not supported by this hiredis; "
                    "see docs/remote.md for the stunnel set-up), got '" + text + "'");
    std::string rest = text.substr(scheme.size());
    RedisUrl url;
    if (auto at = rest.rfind('@'); at != std::string::npos) {
        const std::string cred = rest.substr(0, at);
        rest = rest.substr(at + 1);
        if (auto colon = cred.find(':'); colon != std::string::npos) {
            url.user = percent_decoded(cred.substr(0, colon), "user name");
            url.password = percent_decoded(cred.substr(colon + 1), "password");
            if (url.password.empty()) throw Error("queue URL: empty password after ':'");
        } else {  // the password comes from elsewhere (a password file)
            url.user = percent_decoded(cred, "user name");
        }
    }
    if (auto slash = rest.find('/'); slash != std::string::npos) {
        url.db = parse_int(rest.substr(slash + 1), 0, 15, "database number");
        rest = rest.substr(0, slash);
    }
    std::string port;
    if (!rest.empty() && rest[0] == '[') {  // [::1]:6379
        const auto close = rest.find(']');
        if (close == std::string::npos) throw Error("queue URL: unclosed '[' in the host");
        url.host = rest.substr(1, close - 1);
        if (close + 1 < rest.size()) {
            if (rest[close + 1] != ':') throw Error("queue URL: expected ':' after ']'");
            port = rest.substr(close + 2);
        }
    } else if (auto colon = rest.find(':'); colon != std::string::npos) {
        url.host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    } else {
        url.host = rest;
    }
    if (url.host.empty()) throw Error("queue URL: no host");
    for (char c : url.host)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':'))
            throw Error("queue URL: host '" + url.host + "' has a character a host name cannot have");
    if (!port.empty()) url.port = parse_int(port, 1, 65535, "port");
    return url;
}

bool is_loopback_host(const std::string& host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

RedisConnection::RedisConnection(RedisUrl url, int timeout_ms) : url_(std::move(url)), timeout_ms_(timeout_ms) {
    connect();
}

RedisConnection::~RedisConnection() {
    if (ctx_) redisFree(ctx_);
}

void RedisConnection::connect() {
    if (ctx_) redisFree(ctx_), ctx_ = nullptr;
    redisContext* c = redisConnectWithTimeout(url_.host.c_str(), url_.port, to_timeval(timeout_ms_));
    if (!c || c->err) {
        const std::string why = c ? c->errstr : "out of memory";
        if (c) redisFree(c);
        throw RedisIoError("cannot reach Redis at " + url_.display() + ": " + why);
    }
    redisSetTimeout(c, to_timeval(timeout_ms_));
    ctx_ = c;
    try {
        if (!url_.password.empty()) {
            if (url_.user.empty()) command({"AUTH", url_.password});
            else command({"AUTH", url_.user, url_.password});
        }
        if (url_.db) command({"SELECT", std::to_string(url_.db)});
    } catch (const RedisIoError&) {
        throw;
    } catch (const Error& e) {
        redisFree(ctx_), ctx_ = nullptr;
        throw Error("Redis at " + url_.display() + " refused the credentials: " + e.what());
    }
}

void RedisConnection::set_timeout_ms(int ms) {
    timeout_ms_ = ms;
    if (ctx_) redisSetTimeout(ctx_, to_timeval(ms));
}

RedisReply RedisConnection::take_reply(void* raw) {
    redisReply* r = static_cast<redisReply*>(raw);
    if (!r) {
        const std::string why = ctx_->errstr;
        redisFree(ctx_), ctx_ = nullptr;  // the link is in an unknown state: start afresh next time
        throw RedisIoError("lost the link to Redis at " + url_.display() + ": " + why);
    }
    auto copy = [](const redisReply* x, auto& self) -> RedisReply {
        RedisReply out;
        switch (x->type) {
            case REDIS_REPLY_STRING: out.kind = RedisReply::String, out.str.assign(x->str, x->len); break;
            case REDIS_REPLY_STATUS: out.kind = RedisReply::Status, out.str.assign(x->str, x->len); break;
            case REDIS_REPLY_INTEGER: out.kind = RedisReply::Integer, out.integer = x->integer; break;
            case REDIS_REPLY_ARRAY:
                out.kind = RedisReply::Array;
                for (size_t i = 0; i < x->elements; ++i) out.elements.push_back(self(x->element[i], self));
                break;
            default: break;
        }
        return out;
    };
    if (r->type == REDIS_REPLY_ERROR) {
        const std::string text(r->str, r->len);
        freeReplyObject(r);
        throw Error("Redis: " + text);
    }
    RedisReply out = copy(r, copy);
    freeReplyObject(r);
    return out;
}

RedisReply RedisConnection::command(const std::vector<std::string>& args) {
    return pipeline({args}).front();
}

std::vector<RedisReply> RedisConnection::pipeline(const std::vector<std::vector<std::string>>& commands) {
    if (!ctx_) connect();
    for (const auto& args : commands) {
        std::vector<const char*> argv;
        std::vector<size_t> lens;
        for (const auto& a : args) argv.push_back(a.data()), lens.push_back(a.size());
        if (redisAppendCommandArgv(ctx_, int(argv.size()), argv.data(), lens.data()) != REDIS_OK)
            take_reply(nullptr);
    }
    std::vector<RedisReply> out;
    std::string first_error;
    for (size_t i = 0; i < commands.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(ctx_, &raw) != REDIS_OK) raw = nullptr;
        try {
            out.push_back(take_reply(raw));
        } catch (const RedisIoError&) {
            throw;
        } catch (const Error& e) {  // read every reply first so the link stays in step
            if (first_error.empty()) first_error = e.what();
            out.emplace_back();
        }
    }
    if (!first_error.empty()) throw Error(first_error);
    return out;
}

bool RedisConnection::accepts_anonymous(const RedisUrl& url, int timeout_ms) {
    RedisUrl anonymous = url;
    anonymous.user.clear(), anonymous.password.clear();
    RedisConnection c(anonymous, timeout_ms);
    try {
        c.command({"PING"});
        return true;
    } catch (const RedisIoError&) {
        throw;
    } catch (const Error&) {  // NOAUTH: the server asks for credentials
        return false;
    }
}

}  // namespace dit::remote
