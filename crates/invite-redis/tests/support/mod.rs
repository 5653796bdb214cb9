//! A real Redis for the tests (`invite_testkit::TestRedis`: `scripts/redis-server.sh`, or
//! `INVITE_TEST_REDIS_URL` when set) and the stores the tests open on it.

use std::ops::{Deref, DerefMut};

use invite_redis::{RedisOptions, RedisRateLimiter, RedisStore};

/// A Redis for one test ([`invite_testkit::TestRedis`]), with the stores the tests use on it.
pub struct TestRedis(invite_testkit::TestRedis);

impl Deref for TestRedis {
    type Target = invite_testkit::TestRedis;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for TestRedis {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl TestRedis {
    /// `INVITE_TEST_REDIS_URL` if set, else a fresh server.
    pub fn shared_or_own() -> Self {
        Self(invite_testkit::TestRedis::shared_or_own())
    }

    /// Always a fresh server of our own (for tests that stop it or change its config).
    pub fn own() -> Self {
        Self(invite_testkit::TestRedis::own())
    }

    /// A store on this Redis with a prefix no other test uses.
    pub async fn store(&self, prefix: &str) -> RedisStore {
        self.store_with(RedisOptions::default().with_prefix(prefix))
            .await
    }

    pub async fn store_with(&self, options: RedisOptions) -> RedisStore {
        RedisStore::connect(&self.url, options)
            .await
            .unwrap_or_else(|e| panic!("connect to test Redis {}: {e}", self.url))
    }

    /// A plain connection for inspecting keys.
    pub async fn admin(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url.as_str())
            .expect("client")
            .get_multiplexed_async_connection()
            .await
            .expect("admin connection")
    }
}

/// Two workers of one test: two stores (two connections, as two workers have) on one Redis,
/// under a prefix no other test uses. It owns the Redis: keep it for the whole test.
pub struct TwoWorkers {
    /// The Redis ([`TestRedis::shared_or_own`]).
    pub redis: TestRedis,
    /// The test's prefix.
    pub prefix: String,
    /// The first worker's store.
    pub one: RedisStore,
    /// The second worker's store.
    pub two: RedisStore,
}

impl TwoWorkers {
    /// Connects both workers for the test named `test`.
    pub async fn start(test: &str) -> Self {
        let redis = TestRedis::shared_or_own();
        let prefix = unique_prefix(test);
        let (one, two) = (redis.store(&prefix).await, redis.store(&prefix).await);
        Self {
            redis,
            prefix,
            one,
            two,
        }
    }

    /// The two workers' rate limiters.
    pub fn limiters(&self) -> (RedisRateLimiter, RedisRateLimiter) {
        (self.one.rate_limiter(), self.two.rate_limiter())
    }
}

/// A prefix unique to one test run.
pub fn unique_prefix(test: &str) -> String {
    format!("t{:08x}:{test}", fastrand::u32(..))
}
