//! AUTH-5 to AUTH-7 under load: a re-authorisation that waits on a slow Jobs site never holds
//! up other callers. The service lets one store call per core work at a time; a call whose
//! re-authorisation is due lets go of its permit while it waits on the Jobs site.

use crate::support;

use airlock_jobsite_double::{Endpoint, Fault};
use airlock_store::testing::test_databases;
use std::time::{Duration, Instant};
use support::{fixture_jobs_site, start_with_jobs_site_slots};

#[test]
fn auth_7_a_stalled_re_authorisation_does_not_hold_up_other_callers() {
    for db in test_databases() {
        let site = fixture_jobs_site();
        // One permit: a re-authorisation holding it would stop every other call.
        let s = start_with_jobs_site_slots(db, &site, Some(1), |config| {
            config.authz_refresh_interval = Duration::from_secs(1);
            config.http_timeout = Duration::from_secs(4);
        });
        let slow = s.login("researcher_1");
        std::thread::sleep(Duration::from_millis(1100));
        // researcher_1's refresh is due now; researcher_2 has just logged in.
        let quick = s.login("researcher_2");
        site.inject(Endpoint::Authorise, Fault::Stall(Duration::from_secs(3)), 1);
        let waiting = {
            let url = s.url.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                let answer = ureq::get(&format!("{url}/api/v1/me"))
                    .set("Authorization", &format!("Bearer {slow}"))
                    .call();
                (answer.map(|r| r.status()).unwrap_or(0), started.elapsed())
            })
        };
        // Give the slow call time to reach the Jobs site.
        let deadline = Instant::now() + Duration::from_secs(10);
        while site.calls_to(Endpoint::Authorise).is_empty() {
            assert!(Instant::now() < deadline, "the refresh never started");
            std::thread::sleep(Duration::from_millis(10));
        }
        let started = Instant::now();
        let me = s.api("GET", "/me", Some(&quick), None);
        let took = started.elapsed();
        assert_eq!(me.status, 200, "{}", me.json());
        assert!(
            took < Duration::from_millis(1500),
            "{}: a call waited {took:?} behind a stalled re-authorisation",
            s.db.name()
        );
        // AUTH-7: the stalled refresh fails; the stored record is used within the grace period.
        let (status, slow_took) = waiting.join().expect("join");
        assert_eq!(status, 200, "{}", s.db.name());
        assert!(slow_took >= Duration::from_secs(2), "{slow_took:?}");
    }
}
