//! Unit tests of the small map: one entry inline, a table from the second, inline again.

use super::SmallMap;

fn is_inline<K, V>(map: &SmallMap<K, V>) -> bool {
    matches!(map, SmallMap::Inline(_))
}

#[test]
fn one_entry_stays_inline_and_a_second_takes_a_table() {
    let mut map: SmallMap<u64, &str> = SmallMap::default();
    assert!(map.is_empty());
    assert_eq!(map.insert(1, "one"), None);
    assert!(is_inline(&map));
    assert_eq!(map.insert(1, "uno"), Some("one"));
    assert!(is_inline(&map));
    assert_eq!(map.get(&1), Some(&"uno"));
    assert_eq!(map.get(&2), None);
    *map.get_or_insert_with(2, || "two") = "dos";
    assert!(!is_inline(&map));
    assert_eq!(map.len(), 2);
    assert_eq!(map.get(&1), Some(&"uno"));
    assert_eq!(map.get(&2), Some(&"dos"));
    assert_eq!(*map.get_or_insert_with(2, || "never"), "dos");
}

#[test]
fn removing_down_to_one_entry_goes_back_inline() {
    let mut map: SmallMap<u64, u64> = SmallMap::default();
    for key in 0..5 {
        map.insert(key, key * 10);
    }
    assert_eq!(map.len(), 5);
    for key in 0..4 {
        assert_eq!(map.remove(&key), Some(key * 10));
        assert_eq!(map.remove(&key), None);
    }
    assert!(is_inline(&map));
    assert_eq!(map.get(&4), Some(&40));
    assert_eq!(map.remove(&9), None);
    assert_eq!(map.remove(&4), Some(40));
    assert!(map.is_empty() && is_inline(&map));
}

#[test]
fn iteration_sees_every_entry_in_both_shapes() {
    let mut map: SmallMap<String, u64> = SmallMap::default();
    map.insert("a".into(), 1);
    assert_eq!(map.iter().collect::<Vec<_>>(), [(&"a".to_string(), &1)]);
    map.insert("b".into(), 2);
    map.insert("c".into(), 3);
    for value in map.values_mut() {
        *value *= 10;
    }
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["a", "b", "c"]);
    assert_eq!(map.values().sum::<u64>(), 60);
    assert!(map.contains_key("b") && !map.contains_key("d"));
    assert_eq!(map.get_mut("c").map(|v| *v), Some(30));
}
