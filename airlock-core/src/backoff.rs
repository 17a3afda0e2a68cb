//! Upload retry backoff (`behaviour.md` UPL-4; NOT-5 uses the same for notifications).
//!
//! After the `k`-th failed attempt (`k` = `upload_attempts`, already incremented for it):
//!
//! ```text
//! d0 = min(cap, base * 2^(k-1))
//! d  = d0 * (1 - jitter * u)      where u is uniform in [0, 1)
//! ```
//!
//! so `d` is uniform in `[d0 * (1 - jitter), d0]`. With the defaults (base 30 s, cap 3 600 s,
//! jitter 0.2) the first retry comes after 24–30 s, the second after 48–60 s, and from the
//! eighth failure on after 48–60 minutes. The caller supplies `u`; this module has no source of
//! randomness and no clock.
//!
//! Out-of-range inputs never panic: `k < 1` counts as 1, a negative or NaN base or cap as 0,
//! an infinite cap as no cap, `jitter` and `u` are clamped to `[0, 1]` (NaN as 0), and every
//! delay is limited to [`MAX_DELAY_SECONDS`] so that `now + delay` cannot overflow. Delays are
//! rounded to whole milliseconds.

use crate::context::Rules;
use chrono::Duration;

/// A safety limit on any delay (one year), far above any sensible `upload_backoff_cap`.
pub const MAX_DELAY_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

/// The UPL-4 parameters: base and cap in seconds, and the jitter fraction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// `upload_backoff_base`, seconds.
    pub base_s: f64,
    /// `upload_backoff_cap`, seconds.
    pub cap_s: f64,
    /// `upload_backoff_jitter`, a fraction in [0, 1].
    pub jitter: f64,
}

impl Backoff {
    /// The backoff configured in `rules` (§22).
    pub fn from_rules(rules: &Rules) -> Self {
        Backoff {
            base_s: rules.upload_backoff_base,
            cap_s: rules.upload_backoff_cap,
            jitter: rules.upload_backoff_jitter,
        }
    }

    /// `d0` for the `k`-th failed attempt, in seconds: `min(cap, base * 2^(k-1))`.
    pub fn ceiling_seconds(&self, attempts_k: i64) -> f64 {
        let base = non_negative(self.base_s);
        let cap = if self.cap_s.is_nan() {
            0.0
        } else {
            self.cap_s.max(0.0)
        };
        if base == 0.0 {
            return 0.0;
        }
        // 2^1100 is infinite in f64; min() then picks the cap, so larger exponents add nothing.
        let exponent = (attempts_k.max(1) - 1).min(1100) as i32;
        let d0 = (base * 2f64.powi(exponent)).min(cap);
        d0.min(MAX_DELAY_SECONDS)
    }

    /// The delay after the `k`-th failed attempt, for a uniform `unit_random` in [0, 1).
    pub fn delay(&self, attempts_k: i64, unit_random: f64) -> Duration {
        let d0 = self.ceiling_seconds(attempts_k);
        let d = d0 * (1.0 - unit(self.jitter) * unit(unit_random));
        seconds_to_duration(d)
    }

    /// The smallest and largest delay the `k`-th failure can produce (both inclusive).
    pub fn bounds(&self, attempts_k: i64) -> (Duration, Duration) {
        let d0 = self.ceiling_seconds(attempts_k);
        (
            seconds_to_duration(d0 * (1.0 - unit(self.jitter))),
            seconds_to_duration(d0),
        )
    }
}

/// UPL-4: the delay before the next attempt after the `attempts_k`-th failure, with `base_s`
/// and `cap_s` in seconds, the `jitter` fraction and a uniform `unit_random` in [0, 1).
pub fn retry_delay(
    attempts_k: i64,
    base_s: f64,
    cap_s: f64,
    jitter: f64,
    unit_random: f64,
) -> Duration {
    Backoff {
        base_s,
        cap_s,
        jitter,
    }
    .delay(attempts_k, unit_random)
}

fn non_negative(x: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.max(0.0) }
}

fn unit(x: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
}

/// Rounds to whole milliseconds; monotone, so `bounds` really bound `delay`.
fn seconds_to_duration(seconds: f64) -> Duration {
    let ms = (non_negative(seconds).min(MAX_DELAY_SECONDS) * 1000.0).round() as i64;
    Duration::try_milliseconds(ms).unwrap_or(Duration::zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Backoff {
        Backoff::from_rules(&Rules::default())
    }

    fn secs(d: Duration) -> f64 {
        d.num_milliseconds() as f64 / 1000.0
    }

    #[test]
    fn upl_4_first_failure_waits_between_24_and_30_seconds() {
        let b = defaults();
        assert_eq!(secs(b.delay(1, 0.0)), 30.0);
        assert_eq!(secs(b.delay(1, 0.5)), 27.0);
        assert_eq!(secs(b.delay(1, 0.999_999)), 24.0);
        assert_eq!(b.bounds(1), (Duration::seconds(24), Duration::seconds(30)));
    }

    #[test]
    fn upl_4_doubles_per_attempt_until_the_cap() {
        let b = defaults();
        let ceilings: Vec<f64> = (1..=9).map(|k| b.ceiling_seconds(k)).collect();
        assert_eq!(
            ceilings,
            vec![
                30.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3600.0, 3600.0
            ]
        );
        // Far beyond the point where 2^(k-1) overflows, the cap still holds.
        assert_eq!(b.ceiling_seconds(5_000), 3600.0);
        assert_eq!(b.ceiling_seconds(i64::MAX), 3600.0);
        assert_eq!(
            b.bounds(i64::MAX),
            (Duration::seconds(2880), Duration::seconds(3600))
        );
    }

    #[test]
    fn upl_4_attempt_zero_or_negative_counts_as_first() {
        let b = defaults();
        assert_eq!(b.delay(0, 0.0), Duration::seconds(30));
        assert_eq!(b.delay(-7, 0.0), Duration::seconds(30));
        assert_eq!(b.delay(i64::MIN, 0.0), Duration::seconds(30));
    }

    #[test]
    fn upl_4_out_of_range_inputs_are_clamped() {
        // jitter 0: no randomness.
        assert_eq!(
            retry_delay(2, 30.0, 3600.0, 0.0, 0.7),
            Duration::seconds(60)
        );
        // jitter above 1 acts as 1: anything in [0, d0].
        assert_eq!(
            retry_delay(1, 30.0, 3600.0, 5.0, 0.5),
            Duration::seconds(15)
        );
        // unit_random outside [0, 1) or NaN.
        assert_eq!(
            retry_delay(1, 30.0, 3600.0, 0.2, -3.0),
            Duration::seconds(30)
        );
        assert_eq!(
            retry_delay(1, 30.0, 3600.0, 0.2, 9.0),
            Duration::seconds(24)
        );
        assert_eq!(
            retry_delay(1, 30.0, 3600.0, 0.2, f64::NAN),
            Duration::seconds(30)
        );
        // Degenerate base or cap.
        assert_eq!(retry_delay(3, 0.0, 3600.0, 0.2, 0.5), Duration::zero());
        assert_eq!(retry_delay(3, -5.0, 3600.0, 0.2, 0.5), Duration::zero());
        assert_eq!(retry_delay(3, f64::NAN, 3600.0, 0.2, 0.5), Duration::zero());
        assert_eq!(retry_delay(3, 30.0, -1.0, 0.2, 0.5), Duration::zero());
        assert_eq!(retry_delay(3, 30.0, f64::NAN, 0.2, 0.0), Duration::zero());
        // No cap: limited by the safety limit only.
        assert_eq!(
            retry_delay(100, 30.0, f64::INFINITY, 0.0, 0.0),
            Duration::seconds(MAX_DELAY_SECONDS as i64)
        );
        assert_eq!(
            retry_delay(3, f64::INFINITY, f64::INFINITY, 0.0, 0.0),
            Duration::seconds(MAX_DELAY_SECONDS as i64)
        );
    }

    #[test]
    fn upl_4_sub_second_delays_round_to_milliseconds() {
        assert_eq!(
            retry_delay(1, 0.00175, 10.0, 0.0, 0.0),
            Duration::milliseconds(2)
        );
        assert_eq!(
            retry_delay(2, 0.25, 10.0, 0.0, 0.0),
            Duration::milliseconds(500)
        );
    }

    proptest::proptest! {
        #[test]
        fn upl_4_delay_always_within_bounds(
            k in proptest::num::i64::ANY,
            u in 0.0f64..1.0,
            base in 0.0f64..10_000.0,
            cap in 0.0f64..100_000.0,
            jitter in 0.0f64..=1.0,
        ) {
            let b = Backoff { base_s: base, cap_s: cap, jitter };
            let (lo, hi) = b.bounds(k);
            let d = b.delay(k, u);
            proptest::prop_assert!(lo <= d && d <= hi, "{lo} <= {d} <= {hi}");
            proptest::prop_assert!(secs(hi) <= cap + 0.001);
        }
    }
}
