"""Smart City indicators: declared in include/indikator/ (staging → marts, SQL plus MS-Ind YAML), computed by a
small runner into mart.indikator_nilai, validated with Great Expectations, exported as open data and reported."""
