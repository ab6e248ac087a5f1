#pragma once
// A blocking connection to Redis over hiredis (RESP2), used by the queue's workers and clients.
// Every connection authenticates as the URL's ACL user; the URL is parsed strictly so a typo is
// an error naming the part, never a silent default.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

struct redisContext;

namespace dit::remote {

// redis://[USER:PASS@]HOST:PORT[/DB]. ":PASS@" is the default user's password; "USER@" names the
// user whose password is given elsewhere (--password-file, the studio's password file).
// Percent-escapes (%40 for '@', %3A for ':') are decoded in USER and PASS.
struct RedisUrl {
    std::string user;      // empty: the default user
    std::string password;  // empty: no AUTH
    std::string host = "127.0.0.1";
    int port = 6379;
    int db = 0;
    std::string display() const;  // the URL without its password, for logs and status lines
};

// Throws dit::Error naming the part of the URL that is wrong.
RedisUrl parse_redis_url(const std::string& text);
// 127.0.0.0/8, ::1 and "localhost": where an unauthenticated server may be accepted on request.
bool is_loopback_host(const std::string& host);

// A connection failure (refused, reset, timed out): the caller may reconnect and retry.
// Redis' own error replies (wrong type, NOAUTH, ...) are dit::Error instead.
struct RedisIoError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// One reply, copied out of hiredis so it outlives the next command.
struct RedisReply {
    enum Kind { Nil, String, Integer, Array, Status } kind = Nil;
    std::string str;  // String and Status
    long long integer = 0;
    std::vector<RedisReply> elements;
    bool nil() const { return kind == Nil; }
};

class RedisConnection {
public:
    // Connects, authenticates and selects the URL's database; throws RedisIoError when the
    // server cannot be reached, dit::Error when it refuses the credentials.
    explicit RedisConnection(RedisUrl url, int timeout_ms = 5000);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // Sends one command (arguments are binary-safe). Error replies throw dit::Error with the
    // server's text; a broken link throws RedisIoError and the next call reconnects first.
    RedisReply command(const std::vector<std::string>& args);
    // Several commands in one round trip; the replies in order (an error reply throws).
    std::vector<RedisReply> pipeline(const std::vector<std::vector<std::string>>& commands);
    // How long a blocking read (XREAD BLOCK) may wait before the socket itself times out.
    void set_timeout_ms(int ms);
    const RedisUrl& url() const { return url_; }

    // Whether this server lets a client in without credentials (the default user enabled with
    // nopass): a separate, unauthenticated connection is tried.
    static bool accepts_anonymous(const RedisUrl& url, int timeout_ms = 2000);

private:
    void connect();
    RedisReply take_reply(void* raw);
    RedisUrl url_;
    int timeout_ms_;
    redisContext* ctx_ = nullptr;
};

}  // namespace dit::remote
