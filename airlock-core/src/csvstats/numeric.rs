//! Numeric values kept exactly as decimal digits (REN-3): the integer and decimal patterns,
//! exact divisibility and the exact integer value.

/// A numeric value, kept exactly as decimal digits: `±digits × 10^exponent`.
#[derive(Debug, Clone, PartialEq)]
pub struct Numeric {
    integer: bool,
    negative: bool,
    /// Significant digits (0–9), without leading or trailing zeros; empty for zero.
    digits: Vec<u8>,
    exponent: i64,
    value: f64,
}

/// Exponents are clamped to this magnitude; far beyond anything an `f64` or a modulus needs.
const EXPONENT_LIMIT: i64 = 1_000_000_000_000;

impl Numeric {
    /// Parses a normalised value against the REN-3 patterns: integer `^[+-]?[0-9]+$`, else
    /// decimal `^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`.
    pub fn parse(s: &str) -> Option<Numeric> {
        let b = s.as_bytes();
        let mut i = 0;
        let negative = b.first() == Some(&b'-');
        if matches!(b.first(), Some(b'+' | b'-')) {
            i = 1;
        }
        let int_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let int_digits = &b[int_start..i];
        let mut frac_digits: &[u8] = &[];
        let mut has_point = false;
        if b.get(i) == Some(&b'.') {
            has_point = true;
            i += 1;
            let frac_start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            frac_digits = &b[frac_start..i];
        }
        if int_digits.is_empty() && frac_digits.is_empty() {
            return None;
        }
        let mut exp: i64 = 0;
        let mut has_exp = false;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            has_exp = true;
            i += 1;
            let exp_negative = b.get(i) == Some(&b'-');
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let exp_start = i;
            while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
                exp = (exp * 10 + i64::from(d - b'0')).min(EXPONENT_LIMIT);
                i += 1;
            }
            if i == exp_start {
                return None;
            }
            if exp_negative {
                exp = -exp;
            }
        }
        if i != b.len() {
            return None;
        }
        let mut digits: Vec<u8> = int_digits
            .iter()
            .chain(frac_digits)
            .map(|d| d - b'0')
            .skip_while(|&d| d == 0)
            .collect();
        let frac_len = i64::try_from(frac_digits.len()).unwrap_or(EXPONENT_LIMIT);
        let mut exponent = exp - frac_len;
        while digits.last() == Some(&0) {
            digits.pop();
            exponent += 1;
        }
        if digits.is_empty() {
            exponent = 0;
        }
        Some(Numeric {
            integer: !has_point && !has_exp,
            negative,
            value: s.parse::<f64>().unwrap_or(f64::NAN),
            digits,
            exponent,
        })
    }

    /// Whether the value matched the integer pattern (`10.0` and `1e3` did not).
    pub fn is_integer(&self) -> bool {
        self.integer
    }

    /// Whether the value is zero (`0`, `-0.0`, `0e5`).
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Whether the value is a whole number (`10`, `10.0`, `1.5e1`).
    pub fn is_whole(&self) -> bool {
        self.is_zero() || self.exponent >= 0
    }

    /// The value as an `f64` (possibly rounded or infinite).
    pub fn as_f64(&self) -> f64 {
        self.value
    }

    /// The exact value, when it is whole and fits in an `i128`.
    pub fn as_i128(&self) -> Option<i128> {
        if !self.is_whole() {
            return None;
        }
        let mut n: i128 = 0;
        for &d in &self.digits {
            n = n.checked_mul(10)?.checked_add(i128::from(d))?;
        }
        for _ in 0..self.exponent.min(40) {
            n = n.checked_mul(10)?;
        }
        if self.exponent > 40 && n != 0 {
            return None;
        }
        Some(if self.negative { -n } else { n })
    }

    /// `|x| mod m`, exactly, when the value is whole and `m > 0`.
    pub fn abs_mod(&self, m: u64) -> Option<u64> {
        if m == 0 || !self.is_whole() {
            return None;
        }
        let m = u128::from(m);
        let r = self
            .digits
            .iter()
            .fold(0u128, |acc, &d| (acc * 10 + u128::from(d)) % m);
        let r = r * pow_mod(10, self.exponent.max(0), m) % m;
        u64::try_from(r).ok()
    }

    /// Whether the value is a whole multiple of `m` (`m > 0`).
    pub fn is_multiple_of(&self, m: u64) -> bool {
        self.abs_mod(m) == Some(0)
    }

    /// REN-3 "Midpoint 6 rounded" for one value: 0, or (x − 3) mod 6 = 0.
    pub fn is_midpoint_6(&self) -> bool {
        self.is_zero() || self.abs_mod(6) == Some(3)
    }
}

fn pow_mod(base: u128, mut exp: i64, m: u128) -> u128 {
    let mut result = 1 % m;
    let mut b = base % m;
    while exp > 0 {
        if exp & 1 == 1 {
            result = result * b % m;
        }
        b = b * b % m;
        exp >>= 1;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Numeric {
        Numeric::parse(s).unwrap_or_else(|| panic!("{s} should be numeric"))
    }

    #[test]
    fn ren_3_patterns() {
        for s in [
            "0",
            "7",
            "+7",
            "-7",
            "007",
            "123456789012345678901234567890",
        ] {
            assert!(num(s).is_integer(), "{s}");
        }
        for s in ["1.", ".5", "1.5", "-1.5e3", "+.5e-3", "1e5", "10.0", "1E5"] {
            assert!(!num(s).is_integer(), "{s}");
        }
        for s in [
            "", ".", "+", "-", "e5", "1e", "1e+", "1.2.3", "1,000", "inf", "0x10", "١٢",
        ] {
            assert!(Numeric::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn ren_3_exact_divisibility() {
        assert!(num("10.0").is_multiple_of(5));
        assert!(num("1.5e1").is_multiple_of(5));
        assert!(!num("2.5").is_multiple_of(5));
        assert!(num("-30").is_multiple_of(6));
        assert!(num("0").is_multiple_of(6));
        assert!(num("100000000000000000000000000000000000000000000000000").is_multiple_of(5));
        assert!(!num("100000000000000000000000000000000000000000000000001").is_multiple_of(5));
        assert!(num("1e1000000000").is_multiple_of(5));
        assert!(!num("1e-1000000000").is_multiple_of(5));
        for s in ["3", "9", "-3", "-9", "0", "15", "3e0"] {
            assert!(num(s).is_midpoint_6(), "{s}");
        }
        for s in ["6", "4", "1.5", "-6"] {
            assert!(!num(s).is_midpoint_6(), "{s}");
        }
    }

    #[test]
    fn ren_3_exact_integers() {
        assert_eq!(num("-007").as_i128(), Some(-7));
        assert_eq!(num("1.5e1").as_i128(), Some(15));
        assert_eq!(num("1.5").as_i128(), None);
        assert_eq!(num("1e39").as_i128(), None);
        assert_eq!(num("0e99999").as_i128(), Some(0));
    }
}
