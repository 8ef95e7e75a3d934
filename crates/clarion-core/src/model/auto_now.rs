//! `#[model(auto_now)]` and `#[model(auto_now_add)]`: date and time fields a save sets itself.

use std::time::SystemTime;

/// A field type that `#[model(auto_now)]` and `#[model(auto_now_add)]` can set to the time of
/// the save: `chrono::DateTime<Utc>`, `NaiveDateTime` (in UTC) and `NaiveDate` (the UTC date),
/// with the `chrono` feature, and `Option` of one of these.
#[diagnostic::on_unimplemented(
    message = "`#[model(auto_now)]` and `#[model(auto_now_add)]` need a date or time field; `{Self}` is not one",
    label = "not a date or time",
    note = "give the field the type `chrono::DateTime<Utc>`, `chrono::NaiveDateTime` or `chrono::NaiveDate` (the `chrono` feature), or an `Option` of one, or remove the option"
)]
pub trait AutoNow: Sized {
    /// The value for a save at `now`.
    fn auto_now(now: SystemTime) -> Self;
}

impl<T: AutoNow> AutoNow for Option<T> {
    fn auto_now(now: SystemTime) -> Self {
        Some(T::auto_now(now))
    }
}

#[cfg(feature = "chrono")]
mod chrono_impls {
    use super::{AutoNow, SystemTime};
    use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};

    impl AutoNow for DateTime<Utc> {
        fn auto_now(now: SystemTime) -> Self {
            // Microseconds, what PostgreSQL keeps: the instance then equals the row read back.
            DateTime::<Utc>::from(now).trunc_subsecs(6)
        }
    }

    impl AutoNow for NaiveDateTime {
        fn auto_now(now: SystemTime) -> Self {
            DateTime::<Utc>::auto_now(now).naive_utc()
        }
    }

    impl AutoNow for NaiveDate {
        fn auto_now(now: SystemTime) -> Self {
            DateTime::<Utc>::auto_now(now).date_naive()
        }
    }
}
