//! The configurable numbers the rules use (`behaviour.md` §22) and the context of one action.

use crate::model::Timestamp;
use crate::user::User;
use serde::{Deserialize, Serialize};

/// Rule parameters. Built from the configuration; defaults as in §22.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// N: independent reviews needed (at least 2).
    pub required_reviews: usize,
    /// HNT-2 threshold.
    pub hint_low_count_threshold: i64,
    /// HNT-3 rounding base.
    pub hint_rounding_base: i64,
    /// UPL-4 base delay, seconds.
    pub upload_backoff_base: f64,
    /// UPL-4 cap, seconds.
    pub upload_backoff_cap: f64,
    /// UPL-4 jitter fraction.
    pub upload_backoff_jitter: f64,
    /// UPL-7 attempts after which a file is stuck.
    pub upload_stuck_after: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            required_reviews: 2,
            hint_low_count_threshold: 10,
            hint_rounding_base: 5,
            upload_backoff_base: 30.0,
            upload_backoff_cap: 3600.0,
            upload_backoff_jitter: 0.2,
            upload_stuck_after: 8,
        }
    }
}

impl Rules {
    /// Default rules with another N.
    pub fn with_reviews(required_reviews: usize) -> Self {
        Rules {
            required_reviews,
            ..Rules::default()
        }
    }
}

/// Who acts, under which rules, at what time.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The acting user, as their record stands now (ACC-4).
    pub actor: &'a User,
    /// The rules.
    pub rules: &'a Rules,
    /// The time of the action.
    pub now: Timestamp,
    /// An operator command or scheduled job acts on the user's behalf: every audit entry
    /// carries `automated_action = "true"` (AUD-2, OPS-1 to OPS-3).
    pub automated: bool,
}

impl<'a> Ctx<'a> {
    /// A context for an action by the user themself.
    pub fn new(actor: &'a User, rules: &'a Rules, now: Timestamp) -> Self {
        Ctx {
            actor,
            rules,
            now,
            automated: false,
        }
    }

    /// The same context, marked as an operator's or a scheduled job's action (AUD-2).
    pub fn automated(self, automated: bool) -> Self {
        Ctx { automated, ..self }
    }
}
