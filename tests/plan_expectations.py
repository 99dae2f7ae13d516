"""What each test plan says, field by field, written by reading the plans (tests/data/plans).

A reading is compared as a set of facts, one per extracted value, so that the same comparison
gives the tests their verdict and bench/plan_reader.py its precision and recall. A field the
plan does not state has no fact: a reader that invents one loses precision, one that misses a
stated value loses recall.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

from formats.plan_reader import (
    AwardKind,
    PartialDate,
    PeriodKind,
    PlanReading,
    Qualifier,
    RoundKind,
)

Fact = tuple[Any, ...]

FIELDS = (
    "issuing_unit",
    "number",
    "date",
    "title",
    "campaign_name",
    "period",
    "target",
    "round",
    "quarterly_nominations",
    "award_form",
    "quota",
    "dossier",
)


def facts(reading: PlanReading) -> set[Fact]:
    found: set[Fact] = set()
    if reading.issuing_unit:
        found.add(("issuing_unit", reading.issuing_unit.name))
    if reading.number:
        found.add(("number", reading.number.text, reading.number.number))
    if reading.date:
        found.add(("date", reading.date.place, reading.date.date))
    if reading.title:
        found.add(("title", reading.title.text))
    if reading.campaign_name:
        found.add(("campaign_name", reading.campaign_name.name))
    if reading.period:
        period = reading.period
        found.add(
            (
                "period",
                period.kind,
                period.first_year,
                period.last_year,
                period.starts,
                period.ends,
            )
        )
    for target in reading.targets:
        numbers = tuple((q.value, q.percent, q.qualifier) for q in target.quantities)
        found.add(("target", target.text, numbers))
    for round_ in reading.rounds:
        found.add(
            (
                "round",
                round_.kind,
                round_.deadline,
                round_.deadline_time,
                round_.timing,
                round_.with_dossier,
            )
        )
    if reading.quarterly_nominations:
        found.add(("quarterly_nominations",))
    for form in reading.award_forms:
        found.add(("award_form", form.kind, form.text))
    for quota in reading.quotas:
        found.add(
            ("quota", quota.count, quota.nominees, quota.per, quota.per_quarter, quota.award)
        )
    for item in reading.dossier:
        found.add(("dossier", item.text))
    return found


def pct(value: int) -> tuple[Decimal, bool, Qualifier | None]:
    return (Decimal(value), True, None)


BINH_PHUOC = "Sở Giáo dục và Đào tạo Bình Phước"

EXPECTED: dict[str, set[Fact]] = {
    "seed_000_binh_phuoc_vi_nguoi_ngheo": {
        ("issuing_unit", BINH_PHUOC),
        ("number", "/KH-SGDĐT", None),
        ("date", "Bình Phước", PartialDate(2022, 10)),
        (
            "title",
            "Tổ chức thực hiện phong trào thi đua “Vì người nghèo - Không để ai bị bỏ lại phía "
            "sau” giai đoạn 2021-2025",
        ),
        ("campaign_name", "Vì người nghèo - Không để ai bị bỏ lại phía sau"),
        ("period", PeriodKind.PHASE, 2021, 2025, None, None),
        (
            "target",
            "Phần đầu 100% cán bộ, công chức, viên chức và người lao động trong ngành giáo dục và "
            "đào tạo tích cực và tham gia đầy đủ phong trào thi đua “Vì người nghèo – Không để ai "
            "bị bỏ lại phía sau” giai đoạn 2021-2025.",
            (pct(100),),
        ),
        (
            "target",
            "Hàng năm phần đầu 100% cán bộ, công chức, viên chức và người lao động trong ngành "
            "giáo dục và đào tạo tham gia đầy đủ các cuộc vận động đóng góp quỹ vì người nghèo, "
            "ủng hộ đồng bào gặp thiên tai, hạn hán, lũ lụt...",
            (pct(100),),
        ),
        (
            # The seed splits this item over a page break ("con mồ côi" / "có hoàn cảnh").
            "target",
            "Phần đầu đến năm 2025 trên 50% cơ sở giáo dục phổ thông trên địa bàn tỉnh trao học "
            "bổng cho các học sinh có hoàn cảnh đặc biệt khó khăn, con mồ côi có hoàn cảnh khó "
            "khăn, con gia đình hộ nghèo để tạo cơ hội các em được đến trường.",
            ((Decimal(50), True, Qualifier.OVER),),
        ),
        # "đánh giá báo cáo sơ kết, tổng kết theo quy định": rounds without dates.
        ("round", RoundKind.MID_TERM, None, None, None, False),
        ("round", RoundKind.FINAL, None, None, None, False),
        ("award_form", AwardKind.BANG_KHEN, "Bằng khen của Chủ tịch UBND tỉnh"),
        ("award_form", AwardKind.GIAY_KHEN, "Giấy khen của Giám đốc Sở Giáo dục và Đào tạo"),
        # "Số lượng theo chỉ tiêu của Hội đồng…" sets no quota; no dossier; nothing quarterly.
    },
    "seed_001_binh_phuoc_2023_2024": {
        ("issuing_unit", BINH_PHUOC),
        ("number", "/KH-SGDĐT", None),
        ("date", "Bình Phước", PartialDate(2023)),
        (
            "title",
            "Phát động phong trào thi đua góp phần thực hiện thắng lợi nhiệm vụ phát triển kinh "
            "tế - xã hội, quốc phòng, an ninh của tỉnh trong năm học 2023-2024",
        ),
        (
            # "1. Tên chủ đề / Tên phong trào thi đua “…”": the title quotes no name.
            "campaign_name",
            "Đoàn kết, sáng tạo thực hiện thắng lợi nhiệm vụ giáo dục và đào tạo trong toàn "
            "ngành, góp phần hoàn thành các chỉ tiêu nhiệm vụ phát triển kinh tế - xã hội năm "
            "2023 và nửa đầu năm 2024 của tỉnh",
        ),
        ("period", PeriodKind.SCHOOL_YEAR, 2023, 2024, PartialDate(2023, 9), None),
        # "3. Nội dung nhiệm vụ, chỉ tiêu thi đua": seven items, one with a count.
        (
            "target",
            "Thi đua thực hiện hoàn thành tốt chỉ tiêu, nhiệm vụ của cơ quan, đơn vị được giao về "
            "lĩnh vực Giáo dục và Đào tạo, góp phần thực hiện thắng lợi mục tiêu nhiệm vụ phát "
            "triển kinh tế - xã hội của tỉnh năm 2023 và nửa đầu năm 2024.",
            (),
        ),
        (
            "target",
            "Nội dung trọng tâm thi đua hoàn thành xuất sắc nhiệm vụ Giáo dục và Đào tạo năm học "
            "2023-2024 là hoàn thành vượt mức các chỉ tiêu, nhiệm vụ về: tỉ lệ tốt nghiệp THPT "
            "năm học 2023-2024; tỷ lệ trường chuẩn quốc gia năm 2023; chất lượng Giáo dục mũi "
            "nhọn và đại trà; tỷ lệ học sinh bỏ học; hoàn thành các mục tiêu phổ cập giáo dục các "
            "cấp; hoàn thành kế hoạch đào tạo nguồn nhân lực năm 2023. Tiếp tục triển khai thực "
            "hiện tốt 03 phong trào thi đua trọng tâm do Chính phủ phát động là: Phong trào thi "
            "đua “Cả nước chung sức xây dựng nông thôn mới”; phong trào thi đua “Cả nước chung "
            "tay vì người nghèo - Không để ai bị bỏ lại phía sau” và phong trào thi đua “Cán bộ, "
            "công chức, viên chức thi đua thực hiện văn hóa công sở”.",
            ((Decimal(3), False, None),),
        ),
        (
            "target",
            "Tiếp tục đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh bằng "
            "nhiều hình thức phong phú, đa dạng, thiết thực, hiệu quả kết hợp với các phong trào "
            "thi đua khác như cuộc vận động: Toàn dân đoàn kết xây dựng đời sống văn hóa, đô thị "
            "văn minh; toàn dân bảo vệ an ninh tổ quốc; dân vận khéo..., tạo sự chuyển biến mạnh "
            "mẽ về nhận thức, tư tưởng, đạo đức và lối sống trong đội ngũ công chức, viên chức và "
            "người lao động.",
            (),
        ),
        (
            "target",
            "Xây dựng đội ngũ công chức, viên chức, người lao động từ Sở Giáo dục và Đào tạo tới "
            "cơ sở đáp ứng yêu cầu của thời kỳ công nghiệp hóa, hiện đại hóa đất nước; đảm bảo ổn "
            "định, trong sạch, vững mạnh, gắn bó với nhân dân.",
            (),
        ),
        (
            "target",
            "Các phòng chức năng, chuyên môn thuộc Sở; các đơn vị trực thuộc căn cứ vào chức "
            "năng, nhiệm vụ của mình tiếp tục chỉ đạo các đơn vị trực thuộc tăng cường, chủ động "
            "tổ chức tuyên truyền Luật Thi đua, khen thưởng năm 2022 và các văn bản hướng dẫn thi "
            "hành, đảm bảo kịp thời, đúng quy định. Tập trung rà soát, ban hành mới, sửa đổi, bổ "
            "sung nhằm hoàn thiện hệ thống quy chế, quy định trong lĩnh vực thi đua, khen thưởng "
            "của ngành, đảm bảo đúng với quy định của pháp luật hiện hành, điều kiện tình hình "
            "thực tiễn và đáp ứng yêu cầu nhiệm vụ trong giai đoạn mới.",
            (),
        ),
        (
            "target",
            "Thực hiện có hiệu quả Đề án “Tuyên truyền gương điển hình tiên tiến giai đoạn "
            "2022-2025” theo Quyết định số 1526/QĐ-TTg ngày 09/12/2022 của Thủ tướng Chính phủ và "
            "đề án phát triển, bồi dưỡng, nhân rộng các điển hình tiên tiến trong từng năm và "
            "giai đoạn 2021-2025 ban hành kèm theo Quyết định số 2514/QĐ-UBND ngày 27/9/2021 của "
            "Chủ tịch UBND tỉnh, nhằm phát huy sức mạnh tổng hợp của khối đại đoàn kết toàn dân "
            "tộc, của cả hệ thống chính trị.",
            (),
        ),
        (
            "target",
            "Kiện toàn tổ chức, bộ máy làm công tác thi đua, khen thưởng. Quan tâm củng cố đội "
            "ngũ cán bộ làm công tác thi đua khen thưởng các cấp, đảm bảo ổn định, có tính kế "
            "thừa và được bồi dưỡng, trau dồi kỹ năng, chuyên môn nghiệp vụ. Tiếp tục đổi mới "
            "công tác thi đua, khen thưởng đảm bảo chính xác, kịp thời, công khai, minh bạch có "
            "tác dụng giáo dục, nêu gương; quan tâm phát hiện, lựa chọn các tập thể, cá nhân có "
            "thành tích xuất sắc để khen thưởng và đề nghị khen thưởng.",
            (),
        ),
        (
            "target",
            "Đề cao vai trò lãnh đạo, chỉ đạo của cấp ủy Đảng, chính quyền; người đứng đầu cơ "
            "quan, đơn vị; trưởng các khối thi đua trong việc tổ chức các phong trào thi đua và "
            "thực hiện chính sách, pháp luật về thi đua, khen thưởng. Đẩy mạnh ứng dụng công nghệ "
            "thông tin trong việc thực hiện cải cách thủ tục hành chính liên quan đến quy trình, "
            "thủ tục, hồ sơ đề nghị khen thưởng và trong quản lý Nhà nước về công tác thi đua, "
            "khen thưởng.",
            (),
        ),
        # "Thời gian sơ kết trong tháng 02/2024, thời gian tổng kết trong tháng 7/2024" and
        # "gửi báo cáo sơ kết trước ngày 25/1/2024, báo cáo tổng kết và hồ sơ khen thưởng trước
        # ngày 15/7/2024".
        ("round", RoundKind.MID_TERM, date(2024, 1, 25), None, PartialDate(2024, 2), False),
        ("round", RoundKind.FINAL, date(2024, 7, 15), None, PartialDate(2024, 7), True),
        ("award_form", AwardKind.GIAY_KHEN, "Giấy khen"),
        ("award_form", AwardKind.BANG_KHEN, "Bằng khen"),
        ("quota", 1, "một tập thể hoặc một cá nhân", "đơn vị cơ sở", False, AwardKind.GIAY_KHEN),
        ("dossier", "Tờ trình, tóm tắt thành tích"),
        ("dossier", "Biên bản họp theo quy định"),
        (
            "dossier",
            "Báo cáo thành tích của tập thể, cá nhân đề nghị khen thưởng (kèm minh chứng)",
        ),
    },
    "seed_002_binh_phuoc_nong_thon_moi": {
        ("issuing_unit", BINH_PHUOC),
        ("number", "/KH-SGDĐT", None),
        ("date", "Bình Phước", PartialDate(2022, 3)),
        (
            "title",
            "Triển khai thực hiện phong trào thi đua “Chung tay xây dựng nông thôn mới”",
        ),
        ("campaign_name", "Chung tay xây dựng nông thôn mới"),
        # No period of its own ("giai đoạn 2021-2025" is the province's plan it carries out),
        # no targets, no award form, no dossier.
        # "5. Tổ chức sơ kết, tổng kết phong trào thi đua": rounds without dates.
        ("round", RoundKind.MID_TERM, None, None, None, False),
        ("round", RoundKind.FINAL, None, None, None, False),
    },
    "seed_003_quan_1_nong_thon_moi": {
        # The seed has no header: no number, no date.
        ("issuing_unit", "Phòng Giáo dục và Đào tạo Quận 1"),
        (
            "title",
            "Tổ chức thực hiện Phong trào thi đua “Cả Thành phố chung sức xây dựng nông thôn mới "
            "gắn với đô thị hóa trên địa bàn vùng nông thôn Thành phố Hồ Chí Minh” giai đoạn "
            "2021 - 2025 trong các cơ sở giáo dục",
        ),
        (
            "campaign_name",
            "Cả Thành phố chung sức xây dựng nông thôn mới gắn với đô thị hóa trên địa bàn vùng "
            "nông thôn Thành phố Hồ Chí Minh",
        ),
        ("period", PeriodKind.PHASE, 2021, 2025, None, None),
        # Criteria (tiêu chí), not targets (chỉ tiêu): no target.
        # "sơ kết, đánh giá, rút kinh nghiệm vào năm 2023 và tổng kết … vào năm 2025";
        # "báo cáo định kỳ tiến độ thực hiện".
        ("round", RoundKind.MID_TERM, None, None, PartialDate(2023), False),
        ("round", RoundKind.FINAL, None, None, PartialDate(2025), False),
        ("round", RoundKind.PERIODIC, None, None, None, False),
        ("award_form", AwardKind.HUAN_CHUONG, "Huân chương Lao động"),
        ("award_form", AwardKind.BANG_KHEN, "Bằng khen của Thủ tướng Chính phủ"),
        ("award_form", AwardKind.BANG_KHEN, "Bằng khen của Chủ tịch Ủy ban nhân dân Thành phố"),
        (
            "award_form",
            AwardKind.GIAY_KHEN,
            "Giấy khen của Ủy ban nhân dân Quận 1, các cơ quan, đơn vị, Ủy ban nhân dân 10 phường "
            "theo thẩm quyền",
        ),
    },
    "seed_004_thuan_an_dien_hinh_tien_tien": {
        ("issuing_unit", "Phòng Giáo dục và Đào tạo thành phố Thuận An"),
        (
            "title",
            "Tuyên truyền các phong trào thi đua yêu nước và nhân rộng diễn hình tiên tiến trong "
            "ngành Giáo dục tỉnh Bình Dương giai đoạn 2020 - 2025",
        ),
        # No campaign is named in quotes: no campaign name.
        ("period", PeriodKind.PHASE, 2020, 2025, None, None),
        # "Định kỳ hàng năm, tổng hợp, báo cáo kết quả thực hiện …"
        ("round", RoundKind.YEARLY, None, None, None, False),
        # "Hàng quý, tổ chức xét chọn các gương điển hình tiên tiến giới thiệu về Sở …"
        ("quarterly_nominations",),
    },
    "header_dong_xoai_2024_2025": {
        ("issuing_unit", "Phòng Giáo dục và Đào tạo thành phố Đồng Xoài"),
        ("number", "152/KH-PGDĐT", "152"),
        ("date", "Đồng Xoài", PartialDate(2024, 9, 5)),
        ("title", "Tổ chức phong trào thi đua “Dạy tốt – Học tốt” năm học 2024-2025"),
        ("campaign_name", "Dạy tốt – Học tốt"),
        (
            "period",
            PeriodKind.SCHOOL_YEAR,
            2024,
            2025,
            PartialDate(2024, 9, 5),
            PartialDate(2025, 5, 31),
        ),
        (
            "target",
            "100% cán bộ, giáo viên, nhân viên đăng ký thi đua từ đầu năm học.",
            (pct(100),),
        ),
        (
            "target",
            "Trên 85,5% học sinh tiểu học hoàn thành chương trình lớp học.",
            ((Decimal("85.5"), True, Qualifier.OVER),),
        ),
        (
            "target",
            "Mỗi trường có ít nhất 02 sáng kiến được công nhận cấp thành phố.",
            ((Decimal(2), False, Qualifier.AT_LEAST),),
        ),
        ("round", RoundKind.MID_TERM, date(2025, 1, 15), time(17, 0), None, False),
        ("round", RoundKind.FINAL, date(2024, 5, 20), None, None, True),
        ("round", RoundKind.HALF_YEARLY, None, None, None, False),
        ("quarterly_nominations",),
        ("award_form", AwardKind.CO_THI_DUA, "Cờ thi đua của Ủy ban nhân dân tỉnh"),
        (
            "award_form",
            AwardKind.GIAY_KHEN,
            "Giấy khen của Trưởng phòng Giáo dục và Đào tạo",
        ),
        ("quota", 2, "tối đa 02 cá nhân", "trường", True, None),
        ("dossier", "Tờ trình"),
        ("dossier", "Biên bản họp Hội đồng Thi đua - Khen thưởng"),
        ("dossier", "Báo cáo thành tích có xác nhận của thủ trưởng đơn vị"),
    },
    "style_bu_dang_2023_2024": {
        # Written in another office's habits: abbreviations ("Phòng GDĐT huyện Bù Đăng"),
        # "chậm nhất ngày", a date in words, targets under sub-headings, a quota for "các trường".
        ("issuing_unit", "Phòng Giáo dục và Đào tạo huyện Bù Đăng"),
        ("number", "45/KH-PGDĐT", "45"),
        ("date", "Bù Đăng", PartialDate(2023, 9, 12)),
        ("title", "Phát động phong trào thi đua năm học 2023 - 2024"),
        ("period", PeriodKind.SCHOOL_YEAR, 2023, 2024, None, None),
        ("target", "100% trường xây dựng kế hoạch thi đua.", (pct(100),)),
        (
            "target",
            "Có ít nhất 05 trường đạt chuẩn quốc gia mức độ 2.",
            ((Decimal(5), False, Qualifier.AT_LEAST),),
        ),
        (
            "target",
            "Tỷ lệ học sinh bỏ học dưới 0,5%.",
            ((Decimal("0.5"), True, Qualifier.UNDER),),
        ),
        ("round", RoundKind.MID_TERM, date(2024, 1, 10), None, None, False),
        ("round", RoundKind.FINAL, date(2024, 5, 25), None, None, True),
        ("quarterly_nominations",),
        ("award_form", AwardKind.GIAY_KHEN, "Giấy khen của Chủ tịch UBND huyện"),
        ("award_form", AwardKind.CO_THI_DUA, "Cờ thi đua"),
        ("quota", 1, "01 gương điển hình tiên tiến", "trường", True, None),
        ("dossier", "Tờ trình"),
        ("dossier", "Biên bản họp xét"),
        ("dossier", "Báo cáo thành tích"),
    },
}

SEEDS = tuple(name for name in EXPECTED if name.startswith("seed_"))
# A day on which each plan was current and none of its deadlines had passed.
READ_ON: dict[str, date] = {
    "seed_000_binh_phuoc_vi_nguoi_ngheo": date(2022, 10, 20),
    "seed_001_binh_phuoc_2023_2024": date(2023, 9, 11),
    "seed_002_binh_phuoc_nong_thon_moi": date(2022, 3, 20),
    "seed_003_quan_1_nong_thon_moi": date(2022, 11, 15),
    "seed_004_thuan_an_dien_hinh_tien_tien": date(2020, 11, 20),
    "header_dong_xoai_2024_2025": date(2024, 9, 6),
    "style_bu_dang_2023_2024": date(2023, 9, 12),
}
