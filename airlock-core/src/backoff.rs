//! (in progress) Upload retry backoff (UPL-4).

/// UPL-4: the delay before the next attempt (interim version; being completed).
pub fn retry_delay(attempts_k: i64, base_s: f64, cap_s: f64, jitter: f64, unit_random: f64) -> chrono::Duration {
    let exp = (attempts_k.max(1) - 1).min(62) as i32;
    let d0 = (base_s * 2f64.powi(exp)).min(cap_s);
    let d = d0 * (1.0 - jitter * unit_random.clamp(0.0, 1.0));
    chrono::Duration::milliseconds((d * 1000.0) as i64)
}
