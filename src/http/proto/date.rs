//! The `Date` header value: IMF-fixdate (RFC 9110 §5.6.7), formatted by
//! hand from a count of seconds.
//!
//! ```text
//! IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT
//!             ; e.g. Sun, 06 Nov 1994 08:49:37 GMT
//! ```
//!
//! Formatting only: where the seconds come from is the caller's business
//! (the server reads a coarse clock, `http::clock`).

/// Length of an IMF-fixdate: always 29 bytes.
pub const HTTP_DATE_LEN: usize = 29;

const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Formats `secs` since the Unix epoch as an IMF-fixdate.
///
/// Years past 9999 would need a fifth digit the format has no room for; they
/// are written as 9999 (the clock does not get there).
///
/// # Examples
///
/// ```
/// let date = greenline::http::proto::format_http_date(784_111_777);
/// assert_eq!(&date, b"Sun, 06 Nov 1994 08:49:37 GMT");
/// ```
pub fn format_http_date(secs: u64) -> [u8; HTTP_DATE_LEN] {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let year = year.min(9999);
    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    // 1970-01-01 was a Thursday, DAYS[0].
    out[..3].copy_from_slice(DAYS[(days % 7) as usize]);
    two_digits(&mut out[5..7], day);
    out[8..11].copy_from_slice(MONTHS[month as usize - 1]);
    two_digits(&mut out[12..14], year / 100);
    two_digits(&mut out[14..16], year % 100);
    two_digits(&mut out[17..19], rem / 3600);
    two_digits(&mut out[20..22], rem / 60 % 60);
    two_digits(&mut out[23..25], rem % 60);
    out
}

fn two_digits(out: &mut [u8], n: u64) {
    out[0] = b'0' + (n / 10 % 10) as u8;
    out[1] = b'0' + (n % 10) as u8;
}

/// Howard Hinnant's `civil_from_days` for days since 1970-01-01, never
/// negative here: returns (year, month 1..=12, day 1..=31).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z / 146_097;
    let doe = z - era * 146_097; // day of era, [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year from March 1
    let mp = (5 * doy + 2) / 153; // month from March, [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::epoch(0, "Thu, 01 Jan 1970 00:00:00 GMT")]
    #[case::rfc_example(784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT")]
    #[case::y2k_leap_day(951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT")]
    #[case::end_of_2023(1_704_067_199, "Sun, 31 Dec 2023 23:59:59 GMT")]
    #[case::i32_overflow(2_147_483_648, "Tue, 19 Jan 2038 03:14:08 GMT")]
    #[case::year_2100_not_leap(4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT")]
    fn formats(#[case] secs: u64, #[case] expected: &str) {
        assert_eq!(
            std::str::from_utf8(&format_http_date(secs)).unwrap(),
            expected
        );
    }
}
