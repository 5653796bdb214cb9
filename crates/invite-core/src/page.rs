//! Turning "fetch one page" into a lazy stream.
//!
//! An adapter writes one function that fetches a page for a cursor (an offset, a page
//! number, an opaque token) and says what the next cursor is. [`paginate`] makes that a
//! `Stream` that fetches the next page only when the previous one has been consumed, yields
//! an error at most once and then ends, and refuses to loop forever when a vendor repeats a
//! cursor or keeps sending empty pages that claim there is more.

use std::fmt::Debug;
use std::future::Future;

use futures::stream::{self, BoxStream, StreamExt};

use crate::error::{Error, Result};

/// Consecutive empty pages tolerated while the vendor still says there is more.
const MAX_EMPTY_PAGES: u32 = 3;

/// One page of results and the cursor of the next page (`None` at the end).
#[derive(Debug)]
pub struct Page<T, C> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The next page's cursor, or `None` when this was the last page.
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// A page.
    pub fn new(items: Vec<T>, next: Option<C>) -> Self {
        Self { items, next }
    }
}

enum State<C, F> {
    Next { cursor: C, fetch: F, empty_run: u32 },
    Done,
}

/// A lazy stream over every item of every page, starting at `first`.
///
/// ```
/// use futures::StreamExt;
/// use invite_core::page::{paginate, Page};
/// # tokio_test_block_on(async {
/// let items: Vec<u32> = paginate(0u32, |offset| async move {
///     let page: Vec<u32> = (offset..(offset + 2).min(5)).collect();
///     let next = (offset + 2 < 5).then_some(offset + 2);
///     Ok(Page::new(page, next))
/// })
/// .map(|r| r.unwrap())
/// .collect()
/// .await;
/// assert_eq!(items, vec![0, 1, 2, 3, 4]);
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
pub fn paginate<T, C, F, Fut>(first: C, fetch: F) -> BoxStream<'static, Result<T>>
where
    T: Send + 'static,
    C: Clone + PartialEq + Debug + Send + 'static,
    F: FnMut(C) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T, C>>> + Send + 'static,
{
    stream::unfold(
        State::Next {
            cursor: first,
            fetch,
            empty_run: 0,
        },
        |state| async move {
            let State::Next {
                cursor,
                mut fetch,
                empty_run,
            } = state
            else {
                return None;
            };
            match fetch(cursor.clone()).await {
                Err(e) => Some((vec![Err(e)], State::Done)),
                Ok(page) => {
                    let empty_run = if page.items.is_empty() {
                        empty_run + 1
                    } else {
                        0
                    };
                    let mut items: Vec<Result<T>> = page.items.into_iter().map(Ok).collect();
                    let stuck = match &page.next {
                        Some(next) if *next == cursor => {
                            Some(format!("the vendor returned cursor {next:?} again"))
                        }
                        Some(_) if empty_run >= MAX_EMPTY_PAGES => Some(format!(
                            "{MAX_EMPTY_PAGES} empty pages in a row that claim more results"
                        )),
                        _ => None,
                    };
                    if let Some(why) = stuck {
                        items.push(Err(Error::Vendor(Box::new(crate::error::VendorDetail {
                            message: Some(format!("pagination made no progress: {why}")),
                            ..Default::default()
                        }))));
                        return Some((items, State::Done));
                    }
                    match page.next {
                        None => Some((items, State::Done)),
                        Some(next) => Some((
                            items,
                            State::Next {
                                cursor: next,
                                fetch,
                                empty_run,
                            },
                        )),
                    }
                }
            }
        },
    )
    .flat_map(stream::iter)
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn lazy_and_complete() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let mut s = paginate(0u32, move |page| {
            c.fetch_add(1, Ordering::SeqCst);
            async move {
                let items: Vec<u32> = (page * 10..page * 10 + 10).collect();
                Ok(Page::new(items, (page < 4).then_some(page + 1)))
            }
        });
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "nothing fetched before polling"
        );
        let first = s.next().await.unwrap().unwrap();
        assert_eq!(first, 0);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let rest: Vec<u32> = s.map(|r| r.unwrap()).collect().await;
        assert_eq!(rest.len(), 49);
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn error_once_then_end() {
        let s = paginate(0u32, |page| async move {
            if page == 1 {
                Err(Error::invalid_input("x", "boom"))
            } else {
                Ok(Page::new(vec![page], Some(page + 1)))
            }
        });
        let all: Vec<Result<u32>> = s.collect().await;
        assert_eq!(all.len(), 2);
        assert!(all[0].is_ok());
        assert!(all[1].is_err());
    }

    #[tokio::test]
    async fn repeated_cursor_stops() {
        let s = paginate(7u32, |c| async move { Ok(Page::new(vec![c], Some(7u32))) });
        let all: Vec<Result<u32>> = s.collect().await;
        assert_eq!(all.len(), 2);
        assert!(
            all[1]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("no progress")
        );
    }

    #[tokio::test]
    async fn endless_empty_pages_stop() {
        let s = paginate(0u32, |c| async move {
            Ok(Page::<u32, u32>::new(vec![], Some(c + 1)))
        });
        let all: Vec<Result<u32>> = s.collect().await;
        assert_eq!(all.len(), 1);
        assert!(all[0].is_err());
    }
}
