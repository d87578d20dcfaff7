//! Cursor pagination: `limit` (1..=100, default 20) and an opaque `cursor` from the previous
//! page. Cursors encode the last key seen, so pages stay stable while rows are added.

use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorCode};

pub const MAX_LIMIT: i64 = 100;
pub const DEFAULT_LIMIT: i64 = 20;

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct PageParams {
    /// 1..=100, default 20.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::field("limit", "limit_out_of_range")),
        }
    }

    /// The key after which this page starts (descending or ascending is the caller's choice).
    pub fn after_key(&self) -> Result<Option<i64>, ApiError> {
        let Some(cursor) = self.cursor.as_deref().filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor)
            .map_err(|_| ApiError::new(ErrorCode::InvalidCursor))?;
        let text = String::from_utf8(bytes).map_err(|_| ApiError::new(ErrorCode::InvalidCursor))?;
        let key = text
            .strip_prefix("k:")
            .and_then(|k| k.parse::<i64>().ok())
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidCursor))?;
        Ok(Some(key))
    }
}

pub fn encode_cursor(key: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("k:{key}"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `items` was fetched with `limit + 1` rows: the extra one says whether a next page exists.
    pub fn from_overfetch(mut items: Vec<T>, limit: i64, key: impl Fn(&T) -> i64) -> Page<T> {
        let has_more = items.len() as i64 > limit;
        items.truncate(limit as usize);
        let next_cursor = if has_more {
            items.last().map(|last| encode_cursor(key(last)))
        } else {
            None
        };
        Page { items, next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        let p = PageParams {
            limit: Some(5),
            cursor: Some(encode_cursor(42)),
        };
        assert_eq!(p.after_key().unwrap(), Some(42));
        let bad = PageParams {
            limit: Some(500),
            cursor: Some("!!".into()),
        };
        assert!(bad.after_key().is_err());
        assert!(bad.limit().is_err());
        let page = Page::from_overfetch(vec![5, 4, 3], 2, |x| *x as i64);
        assert_eq!(page.items, vec![5, 4]);
        assert_eq!(page.next_cursor, Some(encode_cursor(4)));
    }
}
