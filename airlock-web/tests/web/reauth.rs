//! AUTH-5 to AUTH-7 under load: a re-authorisation that waits on a slow Jobs site never holds
//! up other callers. The service lets one store call per core work at a time; a call whose
//! re-authorisation is due lets go of its permit while it waits on the Jobs site.
//!
//! Time is the test's: the store's clock stands still until the test advances it, and what
//! the test shows is an order of events, not a duration.

use crate::support;

use airlock_jobsite_double::{Endpoint, Fault};
use airlock_store::testing::test_databases;
use std::time::{Duration, Instant};
use support::{Setup, TestClock, fixture_jobs_site, start_with_jobs_site_setup};

#[test]
fn auth_7_a_stalled_re_authorisation_does_not_hold_up_other_callers() {
    for db in test_databases() {
        let site = fixture_jobs_site();
        let clock = TestClock::new();
        // One permit: a re-authorisation holding it would stop every other call.
        let setup = Setup {
            slots: Some(1),
            clock: Some(clock.clone()),
            ..Setup::default()
        };
        let s = start_with_jobs_site_setup(db, &site, setup, |config| {
            config.http_timeout = Duration::from_secs(4);
        });
        let slow = s.login("researcher_1");
        // AUTH-5: past the refresh interval researcher_1's re-authorisation is due;
        // researcher_2 logs in after that, so theirs is not.
        clock.advance(s.config.authz_refresh_interval + Duration::from_secs(1));
        let quick = s.login("researcher_2");
        // The double holds the re-authorisation, answering nothing, for longer than the
        // quick call needs; the product's timeout is longer still.
        site.inject(Endpoint::Authorise, Fault::Stall(Duration::from_secs(3)), 1);
        let waiting = {
            let url = s.url.clone();
            std::thread::spawn(move || {
                ureq::get(&format!("{url}/api/v1/me"))
                    .set("Authorization", &format!("Bearer {slow}"))
                    .call()
                    .map_or(0, |r| r.status())
            })
        };
        // Until the slow call's re-authorisation is held by the double.
        let deadline = Instant::now() + Duration::from_secs(10);
        while site.stalled() == 0 {
            assert!(Instant::now() < deadline, "the refresh never started");
            std::thread::sleep(Duration::from_millis(10));
        }
        let me = s.api("GET", "/me", Some(&quick), None);
        assert_eq!(me.status, 200, "{}", me.json());
        // The quick call was answered while the slow one was still waiting on its stalled
        // re-authorisation: it did not wait behind it.
        assert!(
            !waiting.is_finished(),
            "{}: the slow call ended before the quick one was answered",
            s.db.name()
        );
        assert_eq!(
            site.stalled(),
            1,
            "{}: a call waited behind a stalled re-authorisation",
            s.db.name()
        );
        // AUTH-7: the stalled refresh fails; the stored record is used within the grace period.
        let status = waiting.join().expect("join");
        assert_eq!(status, 200, "{}", s.db.name());
        let refreshes = site.calls_to(Endpoint::Authorise);
        assert_eq!(refreshes.len(), 1, "only researcher_1's refresh was due");
        assert_eq!(refreshes[0].status, 0, "the refresh got no answer");
        assert_eq!(
            refreshes[0].json().map(|b| b["user"].clone()),
            Some(serde_json::json!("researcher_1"))
        );
    }
}
