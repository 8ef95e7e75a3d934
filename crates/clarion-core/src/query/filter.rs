//! Filters: conditions on a model's rows, and the SQL they compile to.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{BitAnd, BitOr, Not};

use sea_query::{Expr, ExprTrait, Query};

use super::lookup::Lookup;
use super::statement::Params;
use crate::model::{Model, ModelMeta};
use crate::value::Value;

/// A condition on `M`'s rows, for [`QuerySet::filter`](crate::query::QuerySet::filter) and [`QuerySet::exclude`](crate::query::QuerySet::exclude) (Django's
/// lookups and `Q` objects), built from [`Column`](crate::query::Column)s and combined with `&`, `|` and `!`.
///
/// A comparison never matches a row whose column is `NULL` (SQL's rule, and Django's); its
/// negation does, so `!Article::VIEWS.eq(3)` matches the articles with no views, just as
/// `views != Some(3)` would in Rust.
///
/// ```
/// use clarion::prelude::*;
/// use clarion::query::Filter;
/// # #[derive(Model)]
/// # pub struct Article { pub id: Option<i64>, pub title: String, pub views: Option<i64> }
///
/// let read = Article::VIEWS.gt(100) | Article::TITLE.contains("Rust");
/// let unread = !read.clone() & Article::VIEWS.is_null(false);
/// // Built up step by step: `Filter::all()` matches every row.
/// let mut wanted = Filter::all();
/// for word in ["signals", "models"] {
///     wanted = wanted & Article::TITLE.contains(word);
/// }
/// # let _ = (unread, wanted);
/// ```
#[must_use = "a filter does nothing until given to `QuerySet::filter` or `exclude`"]
pub struct Filter<M> {
    pub(super) node: Node,
    _model: PhantomData<fn() -> M>,
}

impl<M> Filter<M> {
    pub(super) fn new(node: Node) -> Self {
        Filter {
            node,
            _model: PhantomData,
        }
    }

    /// Matches every row (Django's empty `Q()`): the neutral start for `&`.
    pub fn all() -> Self {
        Filter::new(Node::All)
    }

    /// Matches no row: the neutral start for `|`. A query set with it never touches the
    /// database.
    pub fn none() -> Self {
        Filter::new(Node::None)
    }

    /// Field number `field` equals `value`.
    pub(crate) fn equals(field: usize, value: Value) -> Self {
        Filter::new(Node::Compare {
            field,
            op: Op::Eq,
            value,
        })
    }

    /// Field number `field` is one of the values of `select` in the rows of `table` whose
    /// `column` equals `value`: a many-to-many relation's rows.
    pub(crate) fn pk_in_join(
        field: usize,
        table: &'static str,
        select: &'static str,
        column: &'static str,
        value: Value,
    ) -> Self {
        Filter::new(Node::InJoin {
            field,
            table,
            select,
            column,
            value,
        })
    }
}

impl<M> Default for Filter<M> {
    /// [`Filter::all`].
    fn default() -> Self {
        Filter::all()
    }
}

impl<M> Clone for Filter<M> {
    fn clone(&self) -> Self {
        Filter::new(self.node.clone())
    }
}

impl<M: Model> fmt::Debug for Filter<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Filter({})", NodeDisplay(&self.node, M::META))
    }
}

impl<M> BitAnd for Filter<M> {
    type Output = Filter<M>;
    /// Rows matching both (Django's `Q(a) & Q(b)`).
    fn bitand(self, other: Filter<M>) -> Filter<M> {
        Filter::new(Node::and(self.node, other.node))
    }
}

impl<M> BitOr for Filter<M> {
    type Output = Filter<M>;
    /// Rows matching either (Django's `Q(a) | Q(b)`).
    fn bitor(self, other: Filter<M>) -> Filter<M> {
        Filter::new(Node::or(self.node, other.node))
    }
}

impl<M> Not for Filter<M> {
    type Output = Filter<M>;
    /// Rows not matching (Django's `~Q(a)`), including those where a compared column is `NULL`.
    fn not(self) -> Filter<M> {
        Filter::new(Node::not(self.node))
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Eq,
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Op {
    pub(super) fn sql(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Lt => "<",
            Op::Lte => "<=",
            Op::Gt => ">",
            Op::Gte => ">=",
        }
    }
}

/// A filter, without its model type. `All` and `None` only ever stand alone: combining folds
/// them away.
#[derive(Clone, Debug)]
pub(super) enum Node {
    All,
    None,
    Compare {
        field: usize,
        op: Op,
        value: Value,
    },
    In {
        field: usize,
        values: Vec<Value>,
    },
    Null {
        field: usize,
        is_null: bool,
    },
    Text {
        field: usize,
        lookup: Lookup,
        needle: String,
    },
    InJoin {
        field: usize,
        table: &'static str,
        select: &'static str,
        column: &'static str,
        value: Value,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

impl Node {
    pub(super) fn and(a: Node, b: Node) -> Node {
        match (a, b) {
            (Node::All, x) | (x, Node::All) => x,
            (Node::None, _) | (_, Node::None) => Node::None,
            (Node::And(mut xs), Node::And(ys)) => {
                xs.extend(ys);
                Node::And(xs)
            }
            (Node::And(mut xs), y) => {
                xs.push(y);
                Node::And(xs)
            }
            (x, Node::And(mut ys)) => {
                ys.insert(0, x);
                Node::And(ys)
            }
            (x, y) => Node::And(vec![x, y]),
        }
    }

    pub(super) fn or(a: Node, b: Node) -> Node {
        match (a, b) {
            (Node::None, x) | (x, Node::None) => x,
            (Node::All, _) | (_, Node::All) => Node::All,
            (Node::Or(mut xs), Node::Or(ys)) => {
                xs.extend(ys);
                Node::Or(xs)
            }
            (Node::Or(mut xs), y) => {
                xs.push(y);
                Node::Or(xs)
            }
            (x, Node::Or(mut ys)) => {
                ys.insert(0, x);
                Node::Or(ys)
            }
            (x, y) => Node::Or(vec![x, y]),
        }
    }

    pub(super) fn not(node: Node) -> Node {
        match node {
            Node::All => Node::None,
            Node::None => Node::All,
            Node::Not(inner) => *inner,
            Node::Null { field, is_null } => Node::Null {
                field,
                is_null: !is_null,
            },
            other => Node::Not(Box::new(other)),
        }
    }

    /// The condition, or `None` for [`Node::All`]; `negated` is whether a `NOT` encloses it.
    pub(super) fn to_expr<'q>(
        &'q self,
        meta: &'static ModelMeta,
        negated: bool,
        params: &mut Params<'q>,
    ) -> Option<Expr> {
        let column = |field: usize| Expr::col(meta.fields[field].column);
        // A comparison on a NULL column is NULL, which NOT leaves NULL: under a NOT, make it
        // false instead, so that the negation holds (Django adds the same `IS NOT NULL`).
        let two_valued = |field: usize, condition: Expr| {
            if negated && meta.fields[field].nullable {
                condition.and(column(field).is_not_null())
            } else {
                condition
            }
        };
        Some(match self {
            Node::All => return None,
            // Never reached through a query set, which returns early instead.
            Node::None => Expr::cust("0 = 1"),
            Node::Compare { field, op, value } => {
                let value = params.push(value.as_ref());
                let col = column(*field);
                let condition = match op {
                    Op::Eq => col.eq(value),
                    Op::Lt => col.lt(value),
                    Op::Lte => col.lte(value),
                    Op::Gt => col.gt(value),
                    Op::Gte => col.gte(value),
                };
                two_valued(*field, condition)
            }
            Node::In { field, values } => {
                let values: Vec<Expr> = values.iter().map(|v| params.push(v.as_ref())).collect();
                two_valued(*field, column(*field).is_in(values))
            }
            Node::Null {
                field,
                is_null: true,
            } => column(*field).is_null(),
            Node::Null {
                field,
                is_null: false,
            } => column(*field).is_not_null(),
            Node::Text {
                field,
                lookup,
                needle,
            } => two_valued(*field, lookup.to_expr(column(*field), needle, params)),
            Node::InJoin {
                field,
                table,
                select,
                column: where_column,
                value,
            } => {
                let mut rows = Query::select();
                rows.column(*select)
                    .from(*table)
                    .and_where(Expr::col(*where_column).eq(params.push(value.as_ref())));
                two_valued(*field, column(*field).in_subquery(rows))
            }
            Node::And(nodes) => nodes
                .iter()
                .filter_map(|n| n.to_expr(meta, negated, params))
                .reduce(ExprTrait::and)?,
            Node::Or(nodes) => nodes
                .iter()
                .filter_map(|n| n.to_expr(meta, negated, params))
                .reduce(ExprTrait::or)?,
            Node::Not(inner) => inner.to_expr(meta, true, params)?.not(),
        })
    }
}

/// Shows a filter with field names, as `views > 3 AND NOT (title contains "x")`.
pub(super) struct NodeDisplay<'a>(&'a Node, &'static ModelMeta);

impl fmt::Display for NodeDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let meta = self.1;
        let name = |field: &usize| meta.fields[*field].name;
        let list = |f: &mut fmt::Formatter<'_>, nodes: &[Node], sep: &str| {
            for (i, node) in nodes.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "({})", NodeDisplay(node, meta))?;
            }
            Ok(())
        };
        match self.0 {
            Node::All => f.write_str("all"),
            Node::None => f.write_str("none"),
            Node::Compare { field, op, value } => {
                write!(f, "{} {} {value}", name(field), op.sql())
            }
            Node::In { field, values } => {
                write!(f, "{} in [", name(field))?;
                for (i, value) in values.iter().enumerate() {
                    let sep = if i > 0 { ", " } else { "" };
                    write!(f, "{sep}{value}")?;
                }
                f.write_str("]")
            }
            Node::Null { field, is_null } => {
                let not = if *is_null { "" } else { " not" };
                write!(f, "{} is{not} null", name(field))
            }
            Node::Text {
                field,
                lookup,
                needle,
            } => write!(f, "{} {} {needle:?}", name(field), lookup.name()),
            Node::InJoin {
                field,
                table,
                select,
                column,
                value,
            } => write!(
                f,
                "{} in {table}.{select} where {column} = {value}",
                name(field)
            ),
            Node::And(nodes) => list(f, nodes, " and "),
            Node::Or(nodes) => list(f, nodes, " or "),
            Node::Not(inner) => write!(f, "not ({})", NodeDisplay(inner, meta)),
        }
    }
}
