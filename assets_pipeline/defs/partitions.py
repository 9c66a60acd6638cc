"""The accounting year is the partition of every asset (keys "2021", "2022", …)."""

import dagster as dg

accounting_years = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *",
    start="2015",
    fmt="%Y",
    end_offset=1,  # the current year can be compiled as soon as its inventories arrive
)
