//! Sessions and re-authorisation (`behaviour.md` AUTH-4 to AUTH-8; `api.md` §2): when a
//! session or bearer token is still good, when the user record must be refreshed from the Jobs
//! site, and what a failed refresh does. Pure: the caller passes the times and the answer.

use crate::model::Timestamp;
use chrono::TimeDelta;

/// AUTH-4: a session (and a bearer token) lives 8 weeks, renewed on each request.
pub const SESSION_LIFETIME: TimeDelta = TimeDelta::weeks(8);

/// A token's expiry is written again only when it would move by more than this, so that
/// renewing on each request (AUTH-4) costs at most one write a day per token.
pub const RENEW_GRANULARITY: TimeDelta = TimeDelta::days(1);

/// AUTH-7: after a failed re-authorisation, the next attempt waits at least this long.
pub const RETRY_AFTER_FAILURE: TimeDelta = TimeDelta::seconds(60);

/// The re-authorisation settings (§22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthzSettings {
    /// `authz_refresh_interval` (AUTH-5).
    pub refresh_interval: TimeDelta,
    /// `authz_grace_period` (AUTH-7); at least the refresh interval (AUTH-8).
    pub grace_period: TimeDelta,
}

/// Why a session or bearer token no longer works (`api.md` §2, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// Unknown, expired or revoked: `unauthenticated`.
    Unauthenticated,
    /// Ended by re-authorisation (AUTH-6, AUTH-7): `session_expired`.
    Expired,
}

/// AUTH-4: the token has passed its expiry.
pub fn token_expired(now: Timestamp, expires_at: Timestamp) -> bool {
    now >= expires_at
}

/// AUTH-4: the new expiry to write for a token used now, or `None` when the stored one is
/// recent enough (see [`RENEW_GRANULARITY`]).
pub fn renewed_expiry(now: Timestamp, expires_at: Timestamp) -> Option<Timestamp> {
    let renewed = now + SESSION_LIFETIME;
    (renewed - expires_at > RENEW_GRANULARITY).then_some(renewed)
}

/// AUTH-5 and AUTH-7: whether to call authorise now. The stored record is older than the
/// refresh interval, and no failed attempt was made in the last minute.
pub fn refresh_due(
    now: Timestamp,
    last_refresh: Timestamp,
    last_failed_attempt: Option<Timestamp>,
    settings: AuthzSettings,
) -> bool {
    now - last_refresh > settings.refresh_interval
        && last_failed_attempt.is_none_or(|at| now - at >= RETRY_AFTER_FAILURE)
}

/// How the Jobs site answered a re-authorisation (API-14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshAnswer {
    /// 200: the record was replaced.
    Renewed,
    /// 403 or 404: the user may no longer log in.
    Denied,
    /// Anything else: a timeout, a network error, another status.
    Unavailable,
}

/// What happens to the session after a refresh attempt, or when none was due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionVerdict {
    /// Carry on with the stored record.
    Keep,
    /// End the session now (`session_expired`).
    End,
}

/// AUTH-6, AUTH-7 (D-l): the verdict for a session whose record was last refreshed at
/// `last_refresh`, given the answer of the attempt (if one was made).
pub fn verdict(
    now: Timestamp,
    last_refresh: Timestamp,
    answer: Option<RefreshAnswer>,
    settings: AuthzSettings,
) -> SessionVerdict {
    match answer {
        Some(RefreshAnswer::Renewed) => SessionVerdict::Keep,
        Some(RefreshAnswer::Denied) => SessionVerdict::End,
        // No attempt (not due, or retried too recently) or a failed one: the stored record
        // serves while it is within the grace period.
        None | Some(RefreshAnswer::Unavailable) => {
            if now - last_refresh <= settings.grace_period {
                SessionVerdict::Keep
            } else {
                SessionVerdict::End
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn t(seconds: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0)
            .single()
            .expect("valid time")
    }

    const SETTINGS: AuthzSettings = AuthzSettings {
        refresh_interval: TimeDelta::seconds(900),
        grace_period: TimeDelta::seconds(3600),
    };

    #[test]
    fn auth_5_refresh_is_due_after_the_interval() {
        assert!(!refresh_due(t(900), t(0), None, SETTINGS));
        assert!(refresh_due(t(901), t(0), None, SETTINGS));
    }

    #[test]
    fn auth_7_a_failed_attempt_waits_a_minute() {
        assert!(!refresh_due(t(1000), t(0), Some(t(950)), SETTINGS));
        assert!(refresh_due(t(1010), t(0), Some(t(950)), SETTINGS));
    }

    #[test]
    fn auth_6_denied_ends_at_once() {
        assert_eq!(
            verdict(t(901), t(0), Some(RefreshAnswer::Denied), SETTINGS),
            SessionVerdict::End
        );
        assert_eq!(
            verdict(t(901), t(0), Some(RefreshAnswer::Renewed), SETTINGS),
            SessionVerdict::Keep
        );
    }

    #[test]
    fn auth_7_unavailable_keeps_within_the_grace_period_only() {
        for answer in [None, Some(RefreshAnswer::Unavailable)] {
            assert_eq!(
                verdict(t(3600), t(0), answer, SETTINGS),
                SessionVerdict::Keep
            );
            assert_eq!(
                verdict(t(3601), t(0), answer, SETTINGS),
                SessionVerdict::End
            );
        }
    }

    #[test]
    fn auth_4_expiry_slides_at_most_once_a_day() {
        let expires = t(0) + SESSION_LIFETIME;
        assert!(!token_expired(t(10), expires));
        assert!(token_expired(expires, expires));
        assert_eq!(renewed_expiry(t(3600), expires), None);
        assert_eq!(
            renewed_expiry(t(86_401), expires),
            Some(t(86_401) + SESSION_LIFETIME)
        );
    }
}
