//! The server's CPU time and resident memory, read from `/proc/<pid>` (Linux).
//!
//! CPU time: the sum over the process's threads of `/proc/<pid>/task/<tid>/schedstat` (time on
//! a CPU, in nanoseconds). `utime + stime` of `/proc/<pid>/stat` counts in clock ticks (10 ms),
//! too coarse for a phase that costs a server 20–50 ms; it is kept as the fallback when a thread
//! ended between two samples (its schedstat is gone, the sum would drop it) or when schedstat
//! is missing.

use std::collections::BTreeMap;
use std::process::Command;

/// A process whose cost is sampled.
pub struct Process {
    pid: u32,
    /// Clock ticks per second of the `utime`/`stime` fields (`getconf CLK_TCK`, usually 100).
    ticks_per_sec: u64,
}

/// One sample.
pub struct Sample {
    /// User + system CPU time so far, in milliseconds (resolution: one clock tick).
    tick_ms: u64,
    /// CPU time so far per thread, in nanoseconds (schedstat), if readable.
    threads_ns: Option<BTreeMap<u32, u64>>,
    /// Resident set size, in KiB.
    pub rss_kb: u64,
}

impl Sample {
    /// The CPU time spent between `earlier` and this sample, in milliseconds: nanosecond
    /// precision when every thread of `earlier` is still there, clock ticks otherwise.
    pub fn cpu_ms_since(&self, earlier: &Sample) -> f64 {
        if let (Some(now), Some(then)) = (&self.threads_ns, &earlier.threads_ns)
            && then.keys().all(|tid| now.contains_key(tid))
        {
            let (now, then): (u64, u64) = (now.values().sum(), then.values().sum());
            return now.saturating_sub(then) as f64 / 1e6;
        }
        self.tick_ms.saturating_sub(earlier.tick_ms) as f64
    }
}

impl Process {
    /// Checks that the process exists and learns the clock tick rate.
    pub fn new(pid: u32) -> Result<Process, String> {
        let ticks = Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100);
        let process = Process {
            pid,
            ticks_per_sec: ticks,
        };
        process.sample()?;
        Ok(process)
    }

    /// Reads the CPU time and RSS now.
    pub fn sample(&self) -> Result<Sample, String> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
            .map_err(|e| format!("reading /proc/{}/stat: {e}", self.pid))?;
        // The command name (field 2) is in parentheses and may hold spaces: split after it.
        let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        // Fields 14 (utime) and 15 (stime), counted from 1 with pid and comm as 1 and 2.
        let tick = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let ticks = tick(11) + tick(12);
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .map_err(|e| format!("reading /proc/{}/status: {e}", self.pid))?;
        let rss_kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok(Sample {
            tick_ms: ticks * 1000 / self.ticks_per_sec,
            threads_ns: self.threads_ns(),
            rss_kb,
        })
    }

    /// Each thread's time on a CPU (schedstat's first field), or `None` if unreadable.
    fn threads_ns(&self) -> Option<BTreeMap<u32, u64>> {
        let mut threads = BTreeMap::new();
        for task in std::fs::read_dir(format!("/proc/{}/task", self.pid)).ok()? {
            let task = task.ok()?;
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
                continue;
            };
            // A thread that ended since the listing is left out (then the tick count is used).
            let Ok(schedstat) = std::fs::read_to_string(task.path().join("schedstat")) else {
                continue;
            };
            let ns = schedstat.split_whitespace().next()?.parse().ok()?;
            threads.insert(tid, ns);
        }
        (!threads.is_empty()).then_some(threads)
    }
}
