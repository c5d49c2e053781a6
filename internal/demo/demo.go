// Package demo fills a fresh Okno with a believable clinic for newcomers and
// demonstrations (okno run --demo): staff users, the website's request form
// and a week of requests from Yekaterinburg patients. Names and numbers are
// invented.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"time"

	"github.com/okno-crm/okno/internal/contactcenter"
	"github.com/okno-crm/okno/internal/identity"
)

// FormKey is the demo website form's key.
const FormKey = "demo"

// ConsentVersion is the version of the demo form's consent text.
const ConsentVersion = "2026-01"

// ConsentText is the demo form's consent wording.
const ConsentText = "Я даю согласие ООО «Медицинский центр» на обработку моих персональных данных, включая сведения о состоянии здоровья, для записи на приём и обратной связи в соответствии с 152-ФЗ."

// Users are the demo staff: login, name, role.
var Users = [][3]string{
	{"admin", "Администратор Системы", "admin"},
	{"operator", "Оксана Белова", "operator"},
	{"supervisor", "Марина Лаптева", "supervisor"},
	{"security", "Игорь Савельев", "security_officer"},
}

// Seed prepares the demo data. Users are created only in an empty identity
// database; their passwords are written to out once, on that first start.
func Seed(ctx context.Context, id *identity.Service, cc *contactcenter.Service, out io.Writer, now time.Time) error {
	if err := cc.SaveWebForm(ctx, contactcenter.WebForm{
		Key: FormKey, Name: "Запись на приём с сайта", ConsentText: ConsentText, ConsentVersion: ConsentVersion,
		SuccessURL: "/demo/form/?sent=1", Active: true,
	}); err != nil {
		return err
	}
	if id != nil {
		n, err := id.CountUsers(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			fmt.Fprintln(out, "\n  Okno demo users (shown once; keep them or create your own with 'okno user create'):")
			for _, u := range Users {
				pw := Password()
				if _, err := id.CreateUser(ctx, identity.NewUser{Login: u[0], Name: u[1], Role: u[2], Password: pw}); err != nil {
					return fmt.Errorf("demo: user %s: %w", u[0], err)
				}
				fmt.Fprintf(out, "    %-11s %-17s password: %s\n", u[0], "("+u[2]+")", pw)
			}
			fmt.Fprintln(out)
		}
	}
	count, err := cc.CountRequests(ctx)
	if err != nil || count > 0 {
		return err
	}
	return cc.ImportRequests(ctx, History(now, 48))
}

// Password makes a random 16-character password that passes the policy.
func Password() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}

var (
	maleFirst    = []string{"Александр", "Дмитрий", "Сергей", "Андрей", "Алексей", "Михаил", "Иван", "Артём", "Никита", "Владимир", "Павел", "Фёдор"}
	malePatr     = []string{"Александрович", "Сергеевич", "Викторович", "Игоревич", "Николаевич", "Павлович", "Олегович"}
	maleLast     = []string{"Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков", "Морозов", "Волков", "Зайцев", "Шестаков", "Бажов", "Чернов"}
	femaleFirst  = []string{"Елена", "Ольга", "Наталья", "Анна", "Татьяна", "Мария", "Ирина", "Светлана", "Алёна", "Дарья", "Ксения", "Юлия"}
	femalePatr   = []string{"Александровна", "Сергеевна", "Викторовна", "Игоревна", "Николаевна", "Павловна", "Олеговна"}
	femaleLast   = []string{"Иванова", "Смирнова", "Кузнецова", "Попова", "Соколова", "Лебедева", "Козлова", "Новикова", "Морозова", "Волкова", "Зайцева", "Ёлкина", "Чернова"}
	mobilePrefix = []string{"912", "922", "950", "908", "904", "919", "982", "996"}
	messages     = []string{
		"Хочу записаться к кардиологу на следующей неделе, желательно после 17:00.",
		"Подскажите стоимость МРТ коленного сустава и есть ли запись на субботу?",
		"Ребёнку 5 лет, нужна консультация ЛОР-врача. Можно на Малышева?",
		"Нужна справка для бассейна, какие анализы сдать?",
		"Перезвоните, пожалуйста, по поводу результатов УЗИ.",
		"Запишите на приём к гинекологу, удобно утром.",
		"Болит спина вторую неделю, к какому врачу записаться?",
		"Можно ли пройти диспансеризацию по ОМС в вашем центре?",
		"Хочу перенести приём к неврологу с четверга на пятницу.",
		"Интересует вакцинация от клещевого энцефалита, есть ли вакцина в наличии?",
		"Нужен дерматолог, посмотреть родинку.",
		"Запись к офтальмологу для подбора очков.",
		"",
	}
)

// History makes n past requests spread over the last week, most of them
// already worked.
func History(now time.Time, n int) []contactcenter.HistoricRequest {
	r := mrand.New(mrand.NewPCG(uint64(now.Unix()), 42))
	statuses := []string{"new", "new", "in_progress", "in_progress", "booked", "booked", "visited", "visited", "visited", "lost"}
	channels := []string{"web_form", "web_form", "web_form", "phone", "phone", "telegram", "whatsapp", "email", "chat", "vk"}
	out := make([]contactcenter.HistoricRequest, 0, n)
	for i := 0; i < n; i++ {
		var name string
		if r.IntN(2) == 0 {
			name = fmt.Sprintf("%s %s %s", pick(r, maleLast), pick(r, maleFirst), pick(r, malePatr))
		} else {
			name = fmt.Sprintf("%s %s %s", pick(r, femaleLast), pick(r, femaleFirst), pick(r, femalePatr))
		}
		if r.IntN(6) == 0 {
			name = pick(r, append(maleFirst, femaleFirst...)) // a short form: only a first name
		}
		var phone string
		if r.IntN(4) == 0 {
			phone = fmt.Sprintf("+7343%07d", 2000000+r.IntN(7999999))
		} else {
			phone = fmt.Sprintf("+7%s%07d", pick(r, mobilePrefix), r.IntN(10000000))
		}
		at := now.Add(-time.Duration(r.IntN(7*24*60)) * time.Minute)
		st := pick(r, statuses)
		if now.Sub(at) < 3*time.Hour {
			st = "new"
		}
		ch := pick(r, channels)
		src := ""
		if ch == "web_form" {
			src = FormKey
		}
		out = append(out, contactcenter.HistoricRequest{Name: name, Phone: phone, Message: pick(r, messages), Channel: ch, Status: st, Source: src, At: at})
	}
	return out
}

func pick[T any](r *mrand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }
