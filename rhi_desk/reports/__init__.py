"""Reports: the seed KPI table, the wider figures and drill-downs, themes, the high-risk list, DfE 903 and Ofsted Annex A."""
