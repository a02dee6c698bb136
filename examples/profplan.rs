use std::time::Instant;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let conn = kit::open(std::path::Path::new(&a[1])).unwrap();
    let w1 = "ALTER TABLE users DROP COLUMN legacy; ALTER TABLE users ALTER COLUMN age TYPE TEXT; ALTER TABLE users ALTER COLUMN name SET NOT NULL";
    let mut v = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let p = kit::plan_sql(&conn, w1).unwrap();
        v.push(t.elapsed());
        assert!(!p.steps.is_empty());
    }
    v.sort();
    eprintln!("plan_sql median {:?} (min {:?})", v[3], v[0]);
}
