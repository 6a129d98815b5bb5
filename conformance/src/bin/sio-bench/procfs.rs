//! The server's CPU time and resident memory, read from `/proc/<pid>` (Linux).

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
    pub cpu_ms: u64,
    /// Resident set size, in KiB.
    pub rss_kb: u64,
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
            cpu_ms: ticks * 1000 / self.ticks_per_sec,
            rss_kb,
        })
    }
}
