//! Pagination (Django's `Paginator`): a query set cut into numbered pages of a fixed size.

use super::QuerySet;
use super::column::OrderBy;
use crate::db;
use crate::error::{Error, Result};
use crate::model::{self, Model};

/// A query set cut into pages of `per_page` rows, numbered from 1 (Django's `Paginator`), from
/// [`QuerySet::paginate`].
///
/// Pages follow the query set's ordering, or the primary key's when it has none, so that each
/// row is on exactly one page. With no row at all there is still one page, empty (Django's
/// `allow_empty_first_page`). Asking for page 0, for a page past the last, or paginating by 0
/// rows per page is an [`Error::InvalidPage`] that says which pages there are.
///
/// ```
/// use clarion::prelude::*;
/// # #[derive(Model, Debug)]
/// # #[model(table = "paginate_doc_post")]
/// # pub struct Post { pub id: Option<i64>, pub title: String }
/// # clarion::db::register(clarion::db::Database::open_as("paginate_doc", "sqlite::memory:")?);
/// # clarion::migrate_using("paginate_doc")?;
/// # for n in 1..=25 {
/// #     Post { id: None, title: format!("post {n:02}") }
/// #         .save_with(SaveOptions::new().using("paginate_doc"))?;
/// # }
/// let pages = Post::objects().using("paginate_doc").order_by(Post::TITLE).paginate(10);
/// let page = pages.page(3)?;
/// assert_eq!((page.count, page.num_pages), (25, 3));
/// assert_eq!(page.items.len(), 5);
/// assert_eq!(page.items[0].title, "post 21");
/// assert!(page.has_previous() && !page.has_next());
///
/// let error = pages.page(4).unwrap_err();
/// assert!(matches!(error, clarion::Error::InvalidPage { num_pages: 3, .. }));
/// assert!(error.to_string().contains("25 rows make 3 pages of 10"), "{error}");
/// # Ok::<(), clarion::Error>(())
/// ```
#[must_use = "a paginator runs nothing until `page`, `count` or `num_pages` is called"]
pub struct Paginator<M: Model> {
    rows: QuerySet<M>,
    per_page: usize,
}

impl<M: Model> QuerySet<M> {
    /// Cuts the query set into pages of `per_page` rows: see [`Paginator`].
    pub fn paginate(&self, per_page: usize) -> Paginator<M> {
        Paginator {
            rows: self.clone(),
            per_page,
        }
    }
}

impl<M: Model> Paginator<M> {
    /// The rows per page.
    pub fn per_page(&self) -> usize {
        self.per_page
    }

    /// How many rows there are in all pages (one `COUNT`).
    pub fn count(&self) -> Result<usize> {
        self.rows.count()
    }

    /// How many pages there are: at least 1 (one `COUNT`).
    pub fn num_pages(&self) -> Result<usize> {
        let count = self.rows.count()?;
        self.check(1, count)
    }

    /// Page `number` (from 1): its instances, each sent `post_init`, with the count of rows and
    /// pages, read by one `COUNT` and one `SELECT … LIMIT … OFFSET` in one transaction.
    pub fn page(&self, number: usize) -> Result<Page<M>> {
        let per_page = self.per_page;
        let by_pk = [OrderBy::new(M::META.pk, false)];
        let (count, mut items) = if self.rows.matches_nothing() {
            (0, Vec::new())
        } else {
            db::read_using(&self.rows.using, |tx| {
                let count = self.rows.count_in(tx)?;
                self.check(number, count)?;
                let start = (number - 1) * per_page;
                let mut page = self.rows.clone();
                page.offset += start;
                let items = if start < count {
                    let limit = Some(per_page.min(count - start));
                    page.rows(tx, self.rows.ordering_or(&by_pk), limit)?
                } else {
                    Vec::new()
                };
                Ok((count, items))
            })?
        };
        let num_pages = self.check(number, count)?;
        // After the read's transaction, as `QuerySet::all` does (see `QuerySet::read`).
        for instance in &mut items {
            model::loaded(instance, &self.rows.using)?;
        }
        Ok(Page {
            items,
            number,
            per_page,
            count,
            num_pages,
        })
    }

    /// The number of pages, if `number` is one of them.
    fn check(&self, number: usize, count: usize) -> Result<usize> {
        let num_pages = if self.per_page == 0 {
            0
        } else {
            count.div_ceil(self.per_page).max(1)
        };
        if self.per_page == 0 || number == 0 || number > num_pages {
            return Err(Error::InvalidPage {
                model: M::META.label,
                page: number,
                per_page: self.per_page,
                num_pages,
                count,
            });
        }
        Ok(num_pages)
    }
}

impl<M: Model> Clone for Paginator<M> {
    fn clone(&self) -> Self {
        Paginator {
            rows: self.rows.clone(),
            per_page: self.per_page,
        }
    }
}

impl<M: Model> std::fmt::Debug for Paginator<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paginator")
            .field("rows", &self.rows)
            .field("per_page", &self.per_page)
            .finish()
    }
}

/// One page of a [`Paginator`] (Django's `Page`): its instances and where it stands.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Page<M> {
    /// The page's instances, in the query set's order.
    pub items: Vec<M>,
    /// The page's number, from 1.
    pub number: usize,
    /// The paginator's rows per page.
    pub per_page: usize,
    /// How many rows there are in all pages.
    pub count: usize,
    /// How many pages there are (at least 1).
    pub num_pages: usize,
}

impl<M> Page<M> {
    /// Whether a page follows this one.
    pub fn has_next(&self) -> bool {
        self.number < self.num_pages
    }

    /// Whether a page comes before this one.
    pub fn has_previous(&self) -> bool {
        self.number > 1
    }

    /// The next page's number, if there is one.
    pub fn next_page_number(&self) -> Option<usize> {
        self.has_next().then_some(self.number + 1)
    }

    /// The previous page's number, if there is one.
    pub fn previous_page_number(&self) -> Option<usize> {
        self.has_previous().then(|| self.number - 1)
    }

    /// The position of the page's first row among all rows, from 1 (Django's `start_index`);
    /// 0 on an empty page.
    pub fn start_index(&self) -> usize {
        if self.items.is_empty() {
            0
        } else {
            (self.number - 1) * self.per_page + 1
        }
    }

    /// The position of the page's last row among all rows, from 1 (Django's `end_index`); 0 on
    /// an empty page.
    pub fn end_index(&self) -> usize {
        if self.items.is_empty() {
            0
        } else {
            (self.number - 1) * self.per_page + self.items.len()
        }
    }
}

impl<M> IntoIterator for Page<M> {
    type Item = M;
    type IntoIter = std::vec::IntoIter<M>;

    /// The page's instances.
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}
