-- CTE named_levels: the cells of all_levels (a ledger's or a balance account's, every region level) with their
-- region's name, level and parent, their item's name (item_names) and their exercising subject's name.
named_levels AS (
    SELECT a.*, d.name AS region_name, d.level AS region_level, d.parent_code, n.name_zh AS item_name,
           n.name_en AS item_name_en, s.name_zh AS subject_name
    FROM all_levels a
    JOIN ref_admin_divisions d USING (region_code)
    LEFT JOIN item_names n ON n.category = a.category AND n.item_code = a.item_code
    LEFT JOIN ref_exercising_subjects s ON s.subject = a.subject
)
