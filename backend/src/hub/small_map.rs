//! A map that keeps its one entry inline and takes a hash table only from its second: most
//! rooms are private, with one member and one listener, and a table of one entry still
//! allocates room for four (plus its control bytes). The table is boxed, so that the map
//! is no larger than its one entry and a tag (every room holds three of them).

use foldhash::HashMap;
use std::borrow::Borrow;
use std::hash::Hash;

/// One entry inline, or a (boxed) table once there are two; back inline when one is left.
#[derive(Debug)]
pub(super) enum SmallMap<K, V> {
    Inline(Option<(K, V)>),
    Table(Box<HashMap<K, V>>),
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        Self::Inline(None)
    }
}

impl<K: Hash + Eq, V> SmallMap<K, V> {
    pub fn len(&self) -> usize {
        match self {
            Self::Inline(slot) => usize::from(slot.is_some()),
            Self::Table(map) => map.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self {
            Self::Inline(slot) => slot
                .as_ref()
                .filter(|(k, _)| k.borrow() == key)
                .map(|e| &e.1),
            Self::Table(map) => map.get(key),
        }
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self {
            Self::Inline(slot) => slot
                .as_mut()
                .filter(|(k, _)| k.borrow() == key)
                .map(|e| &mut e.1),
            Self::Table(map) => map.get_mut(key),
        }
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get(key).is_some()
    }

    /// The value at `key`, made by `make` if there was none.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        if let Self::Inline(Some((held, _))) = self
            && *held != key
        {
            self.spill();
        }
        match self {
            Self::Inline(slot) => &mut slot.get_or_insert_with(|| (key, make())).1,
            Self::Table(map) => map.entry(key).or_insert_with(make),
        }
    }

    /// Sets the value at `key`; returns the one it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some(held) = self.get_mut(&key) {
            return Some(std::mem::replace(held, value));
        }
        self.get_or_insert_with(key, || value);
        None
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let removed = match self {
            Self::Inline(slot) if slot.as_ref().is_some_and(|(k, _)| k.borrow() == key) => {
                slot.take()
            }
            Self::Inline(_) => None,
            Self::Table(map) => map.remove_entry(key),
        };
        self.unspill();
        removed.map(|(_, value)| value)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        let (one, table) = match self {
            Self::Inline(slot) => (slot.as_ref().map(|(k, v)| (k, v)), None),
            Self::Table(map) => (None, Some(map.iter())),
        };
        one.into_iter().chain(table.into_iter().flatten())
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(key, _)| key)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, value)| value)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        let (one, table) = match self {
            Self::Inline(slot) => (slot.as_mut().map(|(_, v)| v), None),
            Self::Table(map) => (None, Some(map.values_mut())),
        };
        one.into_iter().chain(table.into_iter().flatten())
    }

    /// The inline entry moved into a new table, which a second entry is about to join.
    fn spill(&mut self) {
        if let Self::Inline(slot) = self {
            let mut map = HashMap::default();
            map.extend(slot.take());
            *self = Self::Table(Box::new(map));
        }
    }

    /// A table of one entry or none back inline, its storage freed.
    fn unspill(&mut self) {
        if let Self::Table(map) = self
            && map.len() <= 1
        {
            let one = map.drain().next();
            *self = Self::Inline(one);
        }
    }
}

#[cfg(test)]
#[path = "small_map_tests.rs"]
mod tests;
