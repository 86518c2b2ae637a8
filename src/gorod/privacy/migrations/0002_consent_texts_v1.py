"""The first published text of each consent purpose, in Russian and English."""

from django.db import migrations
from django.utils import timezone

TEXTS = {
    "analytics.pseudonymised": (
        "Я согласен(на), чтобы мои данные, хранящиеся на платформе «Город», использовались "
        "для городской аналитики после псевдонимизации: вместо ФИО, СНИЛС и адреса "
        "используется ключевой псевдоним, а ключ хранится отдельно от данных. Результаты "
        "публикуются только в обобщённом виде. Согласие можно отозвать в любой момент в "
        "личном кабинете; отзыв не влияет на уже опубликованную статистику.",
        "I agree that the data the Gorod platform holds about me may be used for city "
        "analytics after pseudonymisation: a keyed pseudonym replaces my name, SNILS and "
        "address, and the key is kept apart from the data. Results are published only in "
        "aggregate. I may withdraw this consent at any time in my cabinet; withdrawal does "
        "not change statistics already published.",
    ),
    "notifications.email": (
        "Я согласен(на) получать на контактный адрес электронной почты уведомления о моих "
        "заявлениях, записях и обращениях в городские службы. Согласие можно отозвать в "
        "любой момент в личном кабинете.",
        "I agree to receive notifications about my applications, bookings and requests to "
        "city services at my contact e-mail address. I may withdraw this consent at any "
        "time in my cabinet.",
    ),
    "research.health": (
        "Я согласен(на), чтобы мои псевдонимизированные медицинские данные использовались в "
        "одобренных медицинских исследованиях городских поликлиник. Исследователи не "
        "получают ФИО, СНИЛС, полис ОМС и адрес. Согласие можно отозвать в любой момент в "
        "личном кабинете; после отзыва данные не включаются в новые исследования.",
        "I agree that my pseudonymised medical records may be used in approved medical "
        "research by the city's clinics. Researchers never receive my name, SNILS, OMS "
        "policy number or address. I may withdraw this consent at any time in my cabinet; "
        "after withdrawal my records are left out of new research.",
    ),
}


def publish(apps, schema_editor):
    ConsentText = apps.get_model("privacy", "ConsentText")
    now = timezone.now()
    for purpose, (text_ru, text_en) in TEXTS.items():
        ConsentText.objects.get_or_create(
            purpose=purpose,
            version=1,
            defaults={"text_ru": text_ru, "text_en": text_en, "published_at": now},
        )


def unpublish(apps, schema_editor):
    ConsentText = apps.get_model("privacy", "ConsentText")
    ConsentText.objects.filter(version=1, purpose__in=list(TEXTS)).delete()


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(publish, unpublish)]
