//! Failed sign-ins limited per account and per client address: governor counts the failures
//! (a burst, then one more per interval), and a key whose failure it refused is refused every
//! sign-in, right password or not, until the time governor named. A success costs nothing.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock, QuantaInstant, Reference as _};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Failed sign-ins an account may have in a row, and how often one more is allowed after them.
const ACCOUNT_BURST: u32 = 5;
const ACCOUNT_REFILL: Duration = Duration::from_secs(60);
/// Failed sign-ins an address may have in a row (across accounts), and the refill.
const ADDRESS_BURST: u32 = 20;
const ADDRESS_REFILL: Duration = Duration::from_secs(10);
/// Keys remembered before the ones whose lock is over are forgotten.
const KEYS_KEPT: usize = 10_000;

/// The limits of one server.
pub struct SignInLimits {
    accounts: Limit<String>,
    addresses: Limit<IpAddr>,
}

impl Default for SignInLimits {
    fn default() -> Self {
        Self {
            accounts: Limit::new(ACCOUNT_BURST, ACCOUNT_REFILL),
            addresses: Limit::new(ADDRESS_BURST, ADDRESS_REFILL),
        }
    }
}

impl SignInLimits {
    /// How long until `account` may try again from `address`; none when it may now.
    pub fn locked(&self, account: &str, address: IpAddr) -> Option<Duration> {
        let wait = [self.accounts.locked(&account.to_owned()), self.addresses.locked(&address)];
        wait.into_iter().flatten().max()
    }

    /// Counts a failed sign-in of `account` from `address`; past a limit, how long the lock holds.
    pub fn failed(&self, account: &str, address: IpAddr) -> Option<Duration> {
        let wait = [self.accounts.failed(account.to_owned()), self.addresses.failed(address)];
        wait.into_iter().flatten().max()
    }
}

/// One limit: governor's bucket of failures per key, and the keys locked until a time.
struct Limit<K: Hash + Eq + Clone> {
    failures: DefaultKeyedRateLimiter<K>,
    locked_until: Mutex<HashMap<K, QuantaInstant>>,
    clock: DefaultClock,
}

impl<K: Hash + Eq + Clone> Limit<K> {
    fn new(burst: u32, refill: Duration) -> Self {
        let burst = NonZeroU32::new(burst).expect("a burst of at least one");
        let quota = Quota::with_period(refill).expect("a refill period above zero").allow_burst(burst);
        Self { failures: RateLimiter::keyed(quota), locked_until: Mutex::default(), clock: DefaultClock::default() }
    }

    fn locked(&self, key: &K) -> Option<Duration> {
        let now = self.clock.now();
        let mut locked = self.locked_until.lock().unwrap_or_else(PoisonError::into_inner);
        if locked.len() > KEYS_KEPT {
            locked.retain(|_, until| *until > now);
            self.failures.retain_recent();
        }
        let until = *locked.get(key)?;
        (until > now).then(|| until.duration_since(now).into())
    }

    fn failed(&self, key: K) -> Option<Duration> {
        let refused = self.failures.check_key(&key).err()?;
        let now = self.clock.now();
        self.locked_until.lock().unwrap_or_else(PoisonError::into_inner).insert(key, refused.earliest_possible());
        Some(refused.wait_time_from(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_locked_past_its_burst_of_failures_and_others_are_not() {
        let limit = Limit::new(2, Duration::from_secs(60));
        assert_eq!((limit.failed("ana"), limit.failed("ana")), (None, None));
        assert_eq!(limit.locked(&"ana"), None, "the burst is not spent until a failure is refused");
        let wait = limit.failed("ana").expect("the third failure is refused");
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60), "{wait:?}");
        assert!(limit.locked(&"ana").is_some());
        assert_eq!(limit.locked(&"ben"), None);
    }
}
