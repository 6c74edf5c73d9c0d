//! Bounded text and tables: the building blocks that keep a configuration's size known.

use core::fmt;
use core::ops::Deref;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// UTF-8 text of at most `N` bytes, stored inline.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text<const N: usize>(heapless::String<N>);

/// Why a text does not fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is {len} bytes long, at most {max} fit")]
pub struct TooLong {
    /// The length that was offered.
    pub len: usize,
    /// The bound.
    pub max: usize,
}

impl<const N: usize> Text<N> {
    /// Copies `s` if it fits in `N` bytes.
    pub fn new(s: &str) -> Result<Self, TooLong> {
        let mut out = heapless::String::new();
        out.push_str(s).map_err(|_| TooLong {
            len: s.len(),
            max: N,
        })?;
        Ok(Self(out))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl<const N: usize> Deref for Text<N> {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl<const N: usize> fmt::Display for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> TryFrom<&str> for Text<N> {
    type Error = TooLong;
    fn try_from(s: &str) -> Result<Self, TooLong> {
        Self::new(s)
    }
}

impl<const N: usize> Serialize for Text<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de, const N: usize> Deserialize<'de> for Text<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<const N: usize>;
        impl<const N: usize> Visitor<'_> for V<N> {
            type Value = Text<N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "text of at most {N} bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<N>, E> {
                Text::new(v).map_err(|e| E::custom(format_args!("text {e}")))
            }
        }
        d.deserialize_str(V::<N>)
    }
}

/// A list of at most `N` items, stored inline (for small items: members, ranges, devices).
pub type List<T, const N: usize> = heapless::Vec<T, N>;

/// A table of at most `N` items (employees, groups, ...). Unlike [`List`] it keeps its items on
/// the heap: the whole configuration inline would be hundreds of kilobytes, too much for a
/// thread's stack while it is decoded. The bound is enforced on every way in.
#[derive(Clone, PartialEq, Eq)]
pub struct Table<T, const N: usize>(Vec<T>);

/// A table is full.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at most {max} items fit")]
pub struct TableFull {
    /// The bound.
    pub max: usize,
}

impl<T, const N: usize> Table<T, N> {
    /// An empty table.
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// Appends an item, or refuses when the table is full.
    pub fn push(&mut self, item: T) -> Result<(), TableFull> {
        if self.0.len() >= N {
            return Err(TableFull { max: N });
        }
        self.0.push(item);
        Ok(())
    }

    /// Removes and returns the item at `index`, if there is one.
    pub fn remove(&mut self, index: usize) -> Option<T> {
        (index < self.0.len()).then(|| self.0.remove(index))
    }

    /// The items, mutably (the length cannot change through this).
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.0
    }

    /// Keeps the items for which `keep` is true.
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.0.retain(keep);
    }

    /// Builds a table from a vector, refusing one that is too long.
    pub fn from_vec(items: Vec<T>) -> Result<Self, TableFull> {
        if items.len() > N {
            return Err(TableFull { max: N });
        }
        Ok(Self(items))
    }
}

impl<T, const N: usize> Default for Table<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> Deref for Table<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: fmt::Debug, const N: usize> fmt::Debug for Table<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: Serialize, const N: usize> Serialize for Table<T, N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for item in &self.0 {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Table<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T, const N: usize>(core::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for V<T, N> {
            type Value = Table<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a list of at most {N} items")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Table<T, N>, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(N));
                while let Some(item) = seq.next_element()? {
                    if items.len() == N {
                        return Err(de::Error::custom(format_args!(
                            "too many items: at most {N} fit"
                        )));
                    }
                    items.push(item);
                }
                Ok(Table(items))
            }
        }
        d.deserialize_seq(V::<T, N>(core::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_refuses_what_does_not_fit() {
        assert!(Text::<4>::new("abcd").is_ok());
        assert_eq!(Text::<4>::new("abcde"), Err(TooLong { len: 5, max: 4 }));
        // "ż" is two bytes.
        assert!(Text::<3>::new("żż").is_err());
    }

    #[test]
    fn table_refuses_the_item_past_its_bound() {
        let mut t = Table::<u8, 2>::new();
        assert!(t.push(1).is_ok() && t.push(2).is_ok());
        assert_eq!(t.push(3), Err(TableFull { max: 2 }));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn table_decoding_enforces_the_bound() {
        let bytes = postcard::to_allocvec(&vec![1u8, 2, 3]).expect("encode");
        assert!(postcard::from_bytes::<Table<u8, 2>>(&bytes).is_err());
        assert!(postcard::from_bytes::<Table<u8, 3>>(&bytes).is_ok());
    }

    #[test]
    fn text_decoding_enforces_the_bound() {
        let bytes = postcard::to_allocvec("hello").expect("encode");
        assert!(postcard::from_bytes::<Text<4>>(&bytes).is_err());
        assert_eq!(
            postcard::from_bytes::<Text<5>>(&bytes)
                .expect("fits")
                .as_str(),
            "hello"
        );
    }
}
