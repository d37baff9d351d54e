//! `--print-config`'s masking, the same for both servers: the effective configuration
//! printed as Rust's pretty `Debug`, each secret shown as `***`.

/// `text` as `--print-config` shows it: every secret (a `Secret(..)`, or a field named like
/// `*secret*`, `*password*`, `*credential*` or `access_code` holding a string) as `***`.
pub fn masked(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.replace("Secret(..)", "***");
            match line.split_once(": ") {
                Some((name, value)) if is_secret_name(name) && value.starts_with('"') => {
                    format!("{name}: \"***\",")
                }
                _ => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_secret_name(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    ["secret", "password", "credential", "access_code"]
        .iter()
        .any(|word| name.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_by_type_or_by_name_are_masked_and_nothing_else() {
        assert_eq!(
            masked("    turn_secret: \"x\","),
            "    turn_secret: \"***\","
        );
        assert_eq!(
            masked("    session_secret: Some(\n        Secret(..),\n    ),"),
            "    session_secret: Some(\n        ***,\n    ),"
        );
        assert_eq!(
            masked("    db_password: \"p\","),
            "    db_password: \"***\","
        );
        assert_eq!(
            masked("    access_code: \"1\","),
            "    access_code: \"***\","
        );
        assert_eq!(
            masked("    listen: \"127.0.0.1:80\","),
            "    listen: \"127.0.0.1:80\","
        );
        assert_eq!(masked("    secret_file: None,"), "    secret_file: None,");
    }
}
