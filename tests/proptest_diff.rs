//! The diff as a property, on the random schemas and changes of `tests/common/gen`: database A
//! is changed by kit's own statements into B; a copy of A is then moved to B by kit's diff
//! alone (which must converge: a second diff is empty, integrity and foreign keys hold, the
//! rows of untouched columns are kept), and back by the diff's inverse (the schema must diff
//! empty against A). 256 cases by default from a fixed seed (`KIT_PT_DIFF_CASES=n`,
//! `KIT_PT_SEED=random`); failure seeds are kept in `proptest-regressions/proptest_diff.txt`.

#[path = "common/gen/mod.rs"]
mod gen;

use gen::*;

fn run_diff_case(c: &CaseR) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let (a_path, copy_path) = (dir.path().join("a.db"), dir.path().join("copy.db"));
    let mut a = Connection::open(&a_path).unwrap();
    a.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let scratch = Connection::open_in_memory().unwrap();
    let Built { mut model, setup } = build(c, &a, &scratch);
    let setup_text = format!("{};\n{}", setup.join(";\n"), inserts(&model));
    let before_text = schema_text(&a);
    let tables_before: BTreeSet<String> = model.tables.iter().map(|t| lc(&t.name)).collect();
    let columns_before: BTreeSet<(String, String)> = model
        .tables
        .iter()
        .flat_map(|t| {
            columns_of(&a, &t.name)
                .into_iter()
                .map(move |(c, _)| (lc(&t.name), c))
        })
        .collect();
    std::fs::copy(&a_path, &copy_path).unwrap();
    // A -> B by kit's own statements (stop at the first refusal).
    let mut applied = String::new();
    let mut renamed_tables: BTreeSet<String> = BTreeSet::new();
    for r in &c.ops {
        let Some(ch) = make_change(&mut model, r, &scratch) else {
            continue;
        };
        let sql = script(&[(ch.clone(), false)]);
        if kit::run_sql(&mut a, &sql).is_err() {
            break;
        }
        if ch.rename {
            renamed_tables.insert(lc(&ch.table));
        }
        applied.push_str(&format!("{sql};\n"));
    }
    let target = schema_text(&a);
    let context = |extra: &str| {
        format!("setup:\n{setup_text};\nchanges:\n{applied}\ntarget:\n{target}\n{extra}")
    };
    let mut copy = Connection::open(&copy_path).unwrap();
    copy.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let d = match diff_to(&copy, &target) {
        Ok(d) => d,
        Err(kit::Error::Unsupported { .. }) => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(context(&format!("diff failed: {e}")))),
    };
    let up = d.script();
    let bytes = std::fs::read(&copy_path).unwrap();
    match kit::run_sql(&mut copy, &up) {
        Ok(_) => {}
        Err(kit::Error::Refused(_)) | Err(kit::Error::Unknown { .. }) => {
            // Drop-and-add of a renamed column can be refused (NOT NULL without a default):
            // fine, if nothing was written.
            if std::fs::read(&copy_path).unwrap() != bytes {
                return Err(TestCaseError::fail(context(&format!(
                    "refused but the file changed\nup:\n{up}"
                ))));
            }
            return Ok(());
        }
        Err(e) => {
            return Err(TestCaseError::fail(context(&format!(
                "applying the diff failed: {e}\nup:\n{up}"
            ))))
        }
    }
    let again = diff_to(&copy, &target).map_err(|e| TestCaseError::fail(e.to_string()))?;
    if !again.is_empty() {
        return Err(TestCaseError::fail(context(&format!(
            "after applying the diff, it is not empty:\n{}\nup was:\n{up}",
            again.script()
        ))));
    }
    health(&copy).map_err(|e| TestCaseError::fail(context(&format!("{e}\nup:\n{up}"))))?;
    // Columns untouched by name and type keep their rows (tables not renamed, and with no
    // renamed column: the diff cannot know about renames without markers).
    // A column dropped and added again under the same name holds new values, which the diff
    // (comparing by name) cannot know: such tables are skipped too.
    let renames_in = |t: &str| {
        applied.lines().any(|l| {
            l.starts_with(&format!("ALTER TABLE {} ", q(t)))
                && (l.contains("RENAME") || {
                    let words: Vec<String> = l
                        .split(|ch: char| ch.is_whitespace() || ch == ',')
                        .map(|w| w.to_ascii_uppercase())
                        .collect();
                    words.windows(2).any(|w| {
                        w[0] == "DROP" && !["CONSTRAINT", "NOT", "DEFAULT"].contains(&w[1].as_str())
                    })
                })
        })
    };
    for t in &model.tables {
        if !tables_before.contains(&lc(&t.name))
            || renamed_tables.contains(&lc(&t.name))
            || renames_in(&t.name)
        {
            continue;
        }
        let (ca, cc) = (columns_of(&a, &t.name), columns_of(&copy, &t.name));
        let common: Vec<String> = ca
            .iter()
            .filter(|(n, ty)| cc.iter().any(|(m, ty2)| m == n && ty2 == ty))
            // A column new to the table gets its DEFAULT in existing rows from the diff's
            // ADD COLUMN, whatever kit's own steps did: only old columns compare.
            .filter(|(n, _)| columns_before.contains(&(lc(&t.name), n.clone())))
            // A column whose type kit's steps changed twice or more went through a middle
            // affinity that may have converted its values (INTEGER 0 -> REAL 0.0 -> BLOB keeps
            // 0.0); the diff converts once, from the first type to the last.
            .filter(|(n, _)| type_changes(&applied, &t.name, n) < 2)
            .map(|(n, _)| n.clone())
            .collect();
        if common.is_empty() {
            continue;
        }
        let (ra, rc) = (
            column_rows(&a, &t.name, &common),
            column_rows(&copy, &t.name, &common),
        );
        if ra != rc && !applied.to_ascii_uppercase().contains("USING") {
            return Err(TestCaseError::fail(context(&format!(
                "rows of \"{}\" ({}) differ after the diff\n  kit's changes: {ra:?}\n  the diff:     {rc:?}\nup:\n{up}",
                t.name,
                common.join(", ")
            ))));
        }
    }
    // And back: the inverse, newest first.
    let mut down = String::new();
    for ch in d.changes.iter().rev() {
        for s in &ch.inverse {
            down.push_str(s);
            down.push_str(";\n");
        }
    }
    match kit::run_sql(&mut copy, &down) {
        Ok(_) => {
            let back =
                diff_to(&copy, &before_text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if !back.is_empty() {
                return Err(TestCaseError::fail(context(&format!(
                    "after the inverse, the schema is not back:\n{}\nup:\n{up}\ndown:\n{down}",
                    back.script()
                ))));
            }
            health(&copy)
                .map_err(|e| TestCaseError::fail(context(&format!("{e}\ndown:\n{down}"))))?;
        }
        // Re-adding a dropped NOT NULL column without default, or a constraint the new rows
        // break, is refused: the inverse cannot bring back data.
        Err(kit::Error::Refused(_)) => {}
        Err(e) => {
            return Err(TestCaseError::fail(context(&format!(
                "the inverse failed: {e}\nup:\n{up}\ndown:\n{down}"
            ))))
        }
    }
    Ok(())
}

#[test]
fn diff_properties() {
    let mut runner = runner(
        "KIT_PT_DIFF_CASES",
        256,
        1024,
        "proptest-regressions/proptest_diff.txt",
    );
    if let Err(e) = runner.run(&case_r(), |c| run_diff_case(&c)) {
        panic!("{e}");
    }
}
