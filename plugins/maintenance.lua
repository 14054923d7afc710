-- S3 Tables maintenance for every table of the catalog (user tables and
-- the aws-s3 metadata tables), as plugins/README.md describes:
--
--   icebergCompaction (per table, on by default): strategy "auto" (sort
--     when the table has a sort order, else bin-pack), "binpack", "sort"
--     or "z-order" (over the sort order's columns); targetFileSizeMB
--     512 by default, 64..512.  Files smaller than 75% of the target and
--     files with deleted rows are rewritten; deletes are applied.
--   icebergSnapshotManagement (per table, on): minSnapshotsToKeep 1,
--     maxSnapshotAgeHours 120; a snapshot goes only when both are
--     exceeded.  Files only expired snapshots used become unreferenced.
--   icebergUnreferencedFileRemoval (per table bucket, on):
--     unreferencedDays 3, nonCurrentDays 10: objects no snapshot
--     references are marked noncurrent once that old, and deleted
--     nonCurrentDays after the mark.
--
-- Each run writes the job status of each table and job type
-- (Successful, Failed with its message, Disabled), which
-- GetTableMaintenanceJobStatus serves.
--
-- Parameters (icetap_plugin maintenance plugins/maintenance.lua k=v):
--   interval=SECONDS        between passes (default 3600)
--   target_file_size=BYTES  overrides targetFileSizeMB (tests, benches)
--   memory=BYTES            sort memory (default 256 MiB)
--   row_group_size=BYTES    decoded bytes per row group (default 128 MiB)
--   small_fraction=F        rewrite files below F * target (0.75)
--   clock_offset=TIME       added to the clock (tests)

local P = icetap.params

local interval = tonumber(P.interval or "3600") or 3600
local small_fraction = tonumber(P.small_fraction or "0.75") or 0.75
local MB = 1024 * 1024


local function clamp(v, lo, hi, default, what)
  v = tonumber(v)
  if v == nil then
    return default
  end
  if v < lo or v > hi then
    icetap.log("warn", what, " ", v, " is outside ", lo, "..", hi,
               ", using ", math.max(lo, math.min(hi, v)))
    return math.max(lo, math.min(hi, v))
  end
  return v
end


local function sort_columns(info)
  local cols = {}
  for _, f in ipairs(info.sort_order or {}) do
    if f.column then
      cols[#cols + 1] = f.column
    end
  end
  return cols
end


-- the files to rewrite: per partition, the small ones and those with
-- deletes, when that makes a difference

local function plan(files, target)
  local parts, order = {}, {}
  for _, f in ipairs(files) do
    if f.format == "PARQUET" or f.format == "parquet" then
      local p = parts[f.partition]
      if p == nil then
        p = { small = {}, deletes = false }
        parts[f.partition] = p
        order[#order + 1] = f.partition
      end
      if f.deleted > 0 or f.size < target * small_fraction then
        p.small[#p.small + 1] = f
        if f.deleted > 0 then
          p.deletes = true
        end
      end
    end
  end

  local picked, bytes = {}, 0
  for _, key in ipairs(order) do
    local p = parts[key]
    if #p.small >= 2 or p.deletes then
      for _, f in ipairs(p.small) do
        picked[#picked + 1] = f.path
        bytes = bytes + f.size
      end
    end
  end
  return picked, bytes
end


local function compaction(t, conf, info)
  local c = conf.icebergCompaction
  if c.status ~= "enabled" then
    return "Disabled"
  end

  local mb = clamp(c.settings.targetFileSizeMB, 64, 512, 512,
                   "targetFileSizeMB")
  local target = tonumber(P.target_file_size) or mb * MB
  local strategy = c.settings.strategy or "auto"
  local cols = sort_columns(info)

  if strategy == "auto" then
    strategy = #cols > 0 and "sort" or "binpack"
  end

  if (strategy == "sort" or strategy == "z-order") and #cols == 0 then
    icetap.log("notice", t.namespace, ".", t.name, ": strategy ", strategy,
               " needs a sort order, bin-packing instead")
    strategy = "binpack"
  end

  local files = icetap.files(t)
  local picked, bytes = plan(files, target)

  if #picked == 0 then
    icetap.log("info", t.table_bucket, "/", t.namespace, ".", t.name,
               ": compaction: nothing to do (", #files, " files)")
    return "Successful"
  end

  local started = icetap.now()
  local r = icetap.rewrite(t, {
    strategy = strategy,
    files = picked,
    columns = strategy == "z-order" and cols or nil,
    target_file_size = target,
    memory = tonumber(P.memory),
    row_group_size = tonumber(P.row_group_size),
  })

  icetap.log("notice", t.table_bucket, "/", t.namespace, ".", t.name,
             ": compaction (", strategy, "): ", r.files_rewritten,
             " files, ", bytes, " bytes -> ", r.files_added, " files, ",
             r.bytes_written, " bytes; ", r.rows, " rows, ",
             r.rows_deleted, " deleted rows dropped, ", r.row_groups_copied,
             " row groups copied, ", r.runs, " sort runs, ",
             string.format("%.1fs", icetap.now() - started))
  return "Successful"
end


local function snapshots(t, conf)
  local s = conf.icebergSnapshotManagement
  if s.status ~= "enabled" then
    return "Disabled"
  end

  local keep = clamp(s.settings.minSnapshotsToKeep, 1, 2 ^ 31 - 1, 1,
                     "minSnapshotsToKeep")
  local hours = clamp(s.settings.maxSnapshotAgeHours, 1, 2 ^ 31 - 1, 120,
                      "maxSnapshotAgeHours")
  local r = icetap.expire_snapshots(t, {
    min_snapshots_to_keep = math.floor(keep),
    max_snapshot_age_hours = math.floor(hours),
  })

  if r.expired > 0 then
    icetap.log("notice", t.table_bucket, "/", t.namespace, ".", t.name,
               ": snapshot management: ", r.expired, " expired")
  end
  return "Successful"
end


local function unreferenced(t, conf)
  local u = conf.icebergUnreferencedFileRemoval
  if u.status ~= "enabled" then
    return "Disabled"
  end

  local r = icetap.remove_unreferenced(t, {
    unreferenced_days = math.floor(clamp(u.settings.unreferencedDays, 1,
                                         2 ^ 31 - 1, 3, "unreferencedDays")),
    noncurrent_days = math.floor(clamp(u.settings.nonCurrentDays, 1,
                                       2 ^ 31 - 1, 10, "nonCurrentDays")),
  })

  if r.marked > 0 or r.deleted > 0 then
    icetap.log("notice", t.table_bucket, "/", t.namespace, ".", t.name,
               ": unreferenced files: ", r.marked, " marked, ", r.deleted,
               " deleted, ", r.pending, " waiting")
  end
  return "Successful"
end


local jobs = {
  { "icebergCompaction", compaction },
  { "icebergSnapshotManagement", snapshots },
  { "icebergUnreferencedFileRemoval", unreferenced },
}


local function maintain(t)
  local conf = icetap.maintenance_config(t)
  local info = icetap.table_info(t)

  for _, job in ipairs(jobs) do
    if icetap.exiting() then
      return
    end

    local ok, res = pcall(job[2], t, conf, info)
    if ok then
      icetap.job_status(t, job[1], res)
    else
      icetap.log("error", t.table_bucket, "/", t.namespace, ".", t.name,
                 ": ", job[1], " failed: ", res)
      icetap.job_status(t, job[1], "Failed", tostring(res))
    end
  end
end


icetap.log("notice", "maintenance every ", interval, "s")

local pass = 0

repeat
  local ok, tables = pcall(icetap.tables)
  if not ok then
    icetap.log("error", "listing the tables failed: ", tables)
    tables = {}
  end

  for _, t in ipairs(tables) do
    if icetap.exiting() then
      break
    end

    local done, err = pcall(maintain, t)
    if not done then
      icetap.log("error", t.table_bucket, "/", t.namespace, ".", t.name,
                 ": maintenance failed: ", err)
    end
  end

  pass = pass + 1
  icetap.log("notice", "maintenance pass ", pass, " over ", #tables,
             " tables done")
until not icetap.sleep(interval)
