META
key;value
description;"BOM, CRLF and quoted fields; a ""test"""
country;Denmark
unit;Hedensted
instance;2026
num_projects;3
num_votes;4
budget;100
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;name;category
A;60;"Bench; with ""quotes""";Fritid og fællesskab
B;50;Plain name;Læring
C;40;spaced;None
VOTES
voter_id;vote
1;A,B
2;A,C
3;B
4;A
