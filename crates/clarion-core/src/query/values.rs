//! Projections: one or several columns of the matching rows, without loading instances
//! (Django's `values_list`), and `distinct`.

use super::QuerySet;
use super::column::Column;
use super::statement::Compiled;
use crate::db;
use crate::error::{Error, Result};
use crate::model::{Model, ModelMeta, Row};
use crate::value::FieldType;

/// Columns read together: a [`Column`] (read as its field type) or a tuple of up to four (read
/// as the tuple of their types), for [`QuerySet::values`] and [`QuerySet::group_by`].
pub trait Columns<M> {
    /// What one row's columns read back as.
    type Output;

    /// Not public API: appends the fields' indexes.
    #[doc(hidden)]
    fn __fields(&self, fields: &mut Vec<usize>);

    /// Not public API: reads the values from column `*next` on, moving `next` past them.
    #[doc(hidden)]
    fn __read(
        &self,
        meta: &'static ModelMeta,
        row: &dyn Row,
        next: &mut usize,
    ) -> Result<Self::Output>;
}

impl<M, T: FieldType> Columns<M> for Column<M, T> {
    type Output = T;

    fn __fields(&self, fields: &mut Vec<usize>) {
        fields.push(self.field);
    }

    fn __read(&self, meta: &'static ModelMeta, row: &dyn Row, next: &mut usize) -> Result<T> {
        let value = T::from_value(row.value(*next)?).map_err(|error| Error::Validation {
            model: meta.label,
            field: meta.fields[self.field].name.to_owned(),
            reason: error.0,
        })?;
        *next += 1;
        Ok(value)
    }
}

macro_rules! column_tuples {
    ($(($($name:ident),*))*) => {$(
        impl<M, $($name: Columns<M>),*> Columns<M> for ($($name,)*) {
            type Output = ($($name::Output,)*);

            #[allow(non_snake_case)]
            fn __fields(&self, fields: &mut Vec<usize>) {
                let ($($name,)*) = self;
                $($name.__fields(fields);)*
            }

            #[allow(non_snake_case)]
            fn __read(
                &self,
                meta: &'static ModelMeta,
                row: &dyn Row,
                next: &mut usize,
            ) -> Result<Self::Output> {
                let ($($name,)*) = self;
                Ok(($($name.__read(meta, row, next)?,)*))
            }
        }
    )*};
}
column_tuples! { (A, B) (A, B, C) (A, B, C, D) }

impl<M: Model> QuerySet<M> {
    /// Leaves out repeated results of [`values`](QuerySet::values) (Django's `distinct()`):
    /// `SELECT DISTINCT`.
    ///
    /// Instances always differ by their primary key, so `distinct` changes nothing that
    /// [`all`](QuerySet::all), [`count`](QuerySet::count) or the aggregates return; use
    /// [`Column::count_distinct`] to count different values. As in Django, the columns of the
    /// ordering are part of what must differ: `distinct().order_by(Post::VIEWS)` keeps two
    /// equal titles of different views.
    pub fn distinct(mut self) -> Self {
        self.distinct = true;
        self
    }

    /// The values of one column, or of a tuple of columns, of each matching row, in the query
    /// set's order (Django's `values_list`, `flat=True` for one column), without loading
    /// instances or sending `post_init`.
    ///
    /// ```
    /// use clarion::prelude::*;
    /// # #[derive(Model)]
    /// # #[model(table = "values_doc_post")]
    /// # pub struct Post { pub id: Option<i64>, pub author: String, pub views: i64 }
    /// # clarion::db::register(clarion::db::Database::open_as("values_doc", "sqlite::memory:")?);
    /// # clarion::migrate_using("values_doc")?;
    /// # for (author, views) in [("ada", 3), ("bob", 4), ("ada", 8)] {
    /// #     Post { id: None, author: author.into(), views }
    /// #         .save_with(SaveOptions::new().using("values_doc"))?;
    /// # }
    /// let posts = Post::objects().using("values_doc").order_by(Post::VIEWS);
    /// assert_eq!(posts.values(Post::VIEWS)?, [3, 4, 8]);
    /// assert_eq!(posts.values((Post::AUTHOR, Post::VIEWS))?[0], ("ada".to_owned(), 3));
    ///
    /// let authors = Post::objects().using("values_doc").order_by(Post::AUTHOR).distinct();
    /// assert_eq!(authors.values(Post::AUTHOR)?, ["ada", "bob"]);
    /// # Ok::<(), clarion::Error>(())
    /// ```
    #[doc(alias = "values_list")]
    pub fn values<C: Columns<M::Concrete>>(&self, columns: C) -> Result<Vec<C::Output>> {
        if self.matches_nothing() {
            return Ok(Vec::new());
        }
        let mut fields = Vec::new();
        columns.__fields(&mut fields);
        if self.distinct {
            // PostgreSQL sorts `SELECT DISTINCT` rows only by selected columns.
            for order in &self.ordering {
                if !fields.contains(&order.field) {
                    fields.push(order.field);
                }
            }
        }
        db::read_using(&self.using, |tx| {
            let backend = tx.backend();
            let mut params = super::statement::Params::new(backend);
            let mut select = self.select_columns(
                fields.iter().map(|&f| M::META.fields[f].column),
                &self.ordering,
                self.limit,
                &mut params,
            );
            if self.distinct {
                select.distinct();
            }
            let statement = Compiled::new(backend.build(&select), params);
            tx.query_bound(
                &statement.sql,
                |bind| statement.bind(bind),
                |row| columns.__read(M::META, row, &mut 0),
            )
        })
    }
}
