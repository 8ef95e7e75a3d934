//! Text lookups (`iexact`, `contains`, `icontains`, `startswith`, …) and `range`.
//!
//! Every needle is bound as a parameter and matched literally, on both engines: `%`, `_`, `\`,
//! quotes and NUL are characters like any other, never wildcards or SQL. Neither engine's
//! `LIKE` is used (SQLite's ignores the case of ASCII letters, PostgreSQL's does not): a text
//! contains a needle where `instr`/`strpos` finds it, and starts or ends with it where the bytes
//! of its start or end are the needle's.
//!
//! The `i…` lookups fold the case of the 26 ASCII letters only, on both engines: SQLite's
//! `lower()` folds no other letter (without the ICU extension), and PostgreSQL's would follow
//! the server's locale, so clarion folds with `translate(…, 'A…Z', 'a…z')` there. `"É"` and
//! `"é"` are different letters to `icontains`, on SQLite and PostgreSQL alike.

use sea_query::{Expr, ExprTrait, Func};

use super::column::Column;
use super::filter::{Filter, Node};
use super::statement::Params;
use crate::db::Backend;
use crate::model::Model;
use crate::value::{FieldType, ValueRef};

/// Which text lookup a [`Node::Text`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lookup {
    IExact,
    Contains,
    IContains,
    StartsWith,
    IStartsWith,
    EndsWith,
    IEndsWith,
}

/// How PostgreSQL folds the ASCII letters, and only them (see the module's docs). Custom SQL
/// numbers its operands on PostgreSQL (`$1`) and does not on SQLite (`?`).
const POSTGRES_FOLD: &str =
    "translate($1, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')";

impl Lookup {
    /// Django's name of the lookup, for `Debug`.
    pub(super) fn name(self) -> &'static str {
        match self {
            Lookup::IExact => "iexact",
            Lookup::Contains => "contains",
            Lookup::IContains => "icontains",
            Lookup::StartsWith => "startswith",
            Lookup::IStartsWith => "istartswith",
            Lookup::EndsWith => "endswith",
            Lookup::IEndsWith => "iendswith",
        }
    }

    fn folds_case(self) -> bool {
        matches!(
            self,
            Lookup::IExact | Lookup::IContains | Lookup::IStartsWith | Lookup::IEndsWith
        )
    }

    /// The filter matching the rows whose column `field` passes this lookup with `needle`.
    fn filter<M>(self, field: usize, needle: &str) -> Filter<M> {
        if needle.is_empty() && self != Lookup::IExact {
            // Every text contains, starts and ends with "" (Django's `LIKE '%%'` agrees);
            // `NULL` does not.
            return Filter::new(Node::Null {
                field,
                is_null: false,
            });
        }
        let needle = if self.folds_case() {
            needle.to_ascii_lowercase()
        } else {
            needle.to_owned()
        };
        Filter::new(Node::Text {
            field,
            lookup: self,
            needle,
        })
    }

    /// The condition on `column`; `needle` is already folded for the `i…` lookups.
    pub(super) fn to_expr<'q>(
        self,
        column: Expr,
        needle: &'q str,
        params: &mut Params<'q>,
    ) -> Expr {
        let backend = params.1;
        if backend == Backend::Postgres && needle.contains('\0') {
            // PostgreSQL's text cannot hold a NUL, so no row's text contains this needle: the
            // literal answer, where binding the needle would be refused.
            return Expr::cust("1 = 0");
        }
        let subject = match (self.folds_case(), backend) {
            (false, _) => column,
            (true, Backend::Sqlite) => Func::lower(column).into(),
            (true, Backend::Postgres) => Expr::cust_with_expr(POSTGRES_FOLD, column),
        };
        match self {
            Lookup::IExact => subject.eq(params.push(ValueRef::Text(needle))),
            Lookup::Contains | Lookup::IContains => {
                let position = Func::cust(match backend {
                    Backend::Sqlite => "instr",
                    Backend::Postgres => "strpos",
                })
                .arg(subject)
                .arg(params.push(ValueRef::Text(needle)));
                Expr::from(position).gt(Expr::cust("0"))
            }
            Lookup::StartsWith | Lookup::IStartsWith => match backend {
                // The first bytes, as many as the needle has: a byte prefix of UTF-8 that equals
                // the (valid) needle ends on a character boundary. `substr` of the empty blob
                // is NULL, hence the `coalesce`: "" does not start with "x", and `NOT` says so.
                Backend::Sqlite => {
                    let bytes = params.push(ValueRef::Bytes(needle.as_bytes()));
                    let length = params.push(ValueRef::Bytes(needle.as_bytes()));
                    Expr::cust_with_exprs(
                        "coalesce(substr(CAST(? AS BLOB), 1, length(?)), x'')",
                        [subject, length],
                    )
                    .eq(bytes)
                }
                Backend::Postgres => Expr::from(
                    Func::cust("starts_with")
                        .arg(subject)
                        .arg(params.push(ValueRef::Text(needle))),
                ),
            },
            Lookup::EndsWith | Lookup::IEndsWith => match backend {
                Backend::Sqlite => {
                    let bytes = params.push(ValueRef::Bytes(needle.as_bytes()));
                    let length = params.push(ValueRef::Bytes(needle.as_bytes()));
                    Expr::cust_with_exprs(
                        "coalesce(substr(CAST(? AS BLOB), -length(?)), x'')",
                        [subject, length],
                    )
                    .eq(bytes)
                }
                Backend::Postgres => {
                    let text = params.push(ValueRef::Text(needle));
                    let length = params.push(ValueRef::Text(needle));
                    Expr::cust_with_exprs("right($1, char_length($2))", [subject, length]).eq(text)
                }
            },
        }
    }
}

/// The text lookups, for `String` and `Option<String>` columns alike: on a nullable column none
/// of them matches `NULL`, and their negation (`!`, `exclude`) does.
macro_rules! text_lookups {
    ($($text:ty),*) => {$(
        impl<M: Model> Column<M, $text> {
            /// The text equals `needle`, ignoring the case of ASCII letters (Django's `iexact`):
            /// `"RUST"` matches `"Rust"`, `"É"` does not match `"é"`.
            pub fn iexact(self, needle: &str) -> Filter<M> {
                Lookup::IExact.filter(self.field, needle)
            }

            /// The text contains `needle`, case-sensitively (Django's `contains`). `%`, `_` and
            /// every other character match only themselves; `""` matches every text.
            pub fn contains(self, needle: &str) -> Filter<M> {
                Lookup::Contains.filter(self.field, needle)
            }

            /// The text contains `needle`, ignoring the case of ASCII letters (Django's
            /// `icontains`).
            pub fn icontains(self, needle: &str) -> Filter<M> {
                Lookup::IContains.filter(self.field, needle)
            }

            /// The text starts with `needle`, case-sensitively (Django's `startswith`).
            #[doc(alias = "starts_with")]
            pub fn startswith(self, needle: &str) -> Filter<M> {
                Lookup::StartsWith.filter(self.field, needle)
            }

            /// The text starts with `needle`, ignoring the case of ASCII letters (Django's
            /// `istartswith`).
            pub fn istartswith(self, needle: &str) -> Filter<M> {
                Lookup::IStartsWith.filter(self.field, needle)
            }

            /// The text ends with `needle`, case-sensitively (Django's `endswith`).
            #[doc(alias = "ends_with")]
            pub fn endswith(self, needle: &str) -> Filter<M> {
                Lookup::EndsWith.filter(self.field, needle)
            }

            /// The text ends with `needle`, ignoring the case of ASCII letters (Django's
            /// `iendswith`).
            pub fn iendswith(self, needle: &str) -> Filter<M> {
                Lookup::IEndsWith.filter(self.field, needle)
            }
        }
    )*};
}
text_lookups!(String, Option<String>);

impl<M: Model, T: FieldType> Column<M, T> {
    /// The column is between `low` and `high`, both included (Django's `range`, SQL's
    /// `BETWEEN`): the same as `gte(low) & lte(high)`. No row matches if `low > high`, or if
    /// either bound is `None`.
    ///
    /// Text compares byte by byte on SQLite, and in the column's collation on PostgreSQL: the
    /// two agree under the `C` and `C.UTF-8` collations.
    pub fn range(self, low: impl Into<T>, high: impl Into<T>) -> Filter<M> {
        self.gte(low) & self.lte(high)
    }
}
