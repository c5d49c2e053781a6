package demofhir

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/okno-crm/okno/internal/mis/fhir"
)

// Code systems and identifier systems of the demo MIS. They are local to the demo.
const (
	SpecialtySystem = "http://okno.local/fhir/CodeSystem/specialty"
	SNOMEDSystem    = "http://snomed.info/sct"
	MRNSystem       = "http://okno.local/fhir/sid/mrn"
	PriceExtension  = "http://okno.local/fhir/StructureDefinition/price"
)

// Yekaterinburg is UTC+5 all year (no daylight saving since 2014); a fixed zone avoids needing
// tzdata.
var Yekaterinburg = time.FixedZone("YEKT", 5*3600)

type specialty struct {
	code, ru, snomed, snomedDisplay string
	slotMinutes                     int
	price                           int // first visit, roubles
}

// SNOMED CT codes from the R4 practice-setting value set; approximate for УЗИ (radiology) and
// терапевт (general medicine).
var specialties = []specialty{
	{"therapist", "Терапевт", "394802001", "General medicine", 15, 2200},
	{"cardiologist", "Кардиолог", "394579002", "Cardiology", 30, 3100},
	{"neurologist", "Невролог", "394591006", "Neurology", 30, 2900},
	{"ent", "ЛОР (оториноларинголог)", "418960008", "Otolaryngology", 15, 2600},
	{"ophthalmologist", "Офтальмолог", "394594003", "Ophthalmology", 30, 2700},
	{"gynecologist", "Гинеколог", "394586005", "Gynecology", 30, 2800},
	{"urologist", "Уролог", "394612005", "Urology", 30, 2800},
	{"endocrinologist", "Эндокринолог", "394583002", "Endocrinology", 30, 3000},
	{"dermatologist", "Дерматолог", "394582007", "Dermatology", 15, 2500},
	{"gastroenterologist", "Гастроэнтеролог", "394584008", "Gastroenterology", 30, 3000},
	{"surgeon", "Хирург", "394609007", "General surgery", 30, 2600},
	{"orthopedist", "Травматолог-ортопед", "394801008", "Trauma & orthopedics", 30, 2900},
	{"pediatrician", "Педиатр", "394537008", "Pediatric specialty", 15, 2300},
	{"ultrasound", "УЗИ-диагностика", "394914008", "Radiology", 15, 1900},
	{"dentist", "Стоматолог", "394812008", "Dental medicine specialties", 30, 2400},
}

func (s specialty) concept() fhir.CodeableConcept {
	return fhir.CodeableConcept{Coding: []fhir.Coding{
		{System: SpecialtySystem, Code: s.code, Display: s.ru},
		{System: SNOMEDSystem, Code: s.snomed, Display: s.snomedDisplay},
	}, Text: s.ru}
}

type branch struct {
	name, street, postal, phone string
}

var branches = []branch{
	{"Окно-Клиника на Малышева", "ул. Малышева, 51", "620014", "+73432000101"},
	{"Окно-Клиника на Ленина", "пр. Ленина, 40", "620075", "+73432000102"},
	{"Окно-Клиника на 8 Марта", "ул. 8 Марта, 46", "620144", "+73432000103"},
	{"Окно-Клиника Уралмаш", "ул. Победы, 14", "620012", "+73432000104"},
}

var (
	maleFamilies   = []string{"Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков", "Морозов", "Петров", "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов", "Голубев", "Виноградов", "Богданов", "Воробьёв", "Фёдоров", "Михайлов", "Беляев", "Тарасов", "Белов", "Комаров", "Орлов", "Киселёв", "Макаров", "Андреев"}
	maleGiven      = []string{"Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл", "Михаил", "Никита", "Евгений", "Игорь", "Владимир", "Павел", "Олег"}
	femaleGiven    = []string{"Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Екатерина", "Юлия", "Анастасия", "Дарья", "Марина", "Людмила", "Ксения", "Алёна"}
	fatherNames    = []string{"Александр", "Дмитрий", "Сергей", "Андрей", "Алексей", "Михаил", "Евгений", "Игорь", "Владимир", "Павел", "Олег", "Николай", "Иван", "Виктор", "Юрий", "Пётр"}
	patronymicRoot = map[string]string{"Александр": "Александров", "Дмитрий": "Дмитриев", "Сергей": "Сергеев", "Андрей": "Андреев", "Алексей": "Алексеев", "Михаил": "Михайлов", "Евгений": "Евгеньев", "Игорь": "Игорев", "Владимир": "Владимиров", "Павел": "Павлов", "Олег": "Олегов", "Николай": "Николаев", "Иван": "Иванов", "Виктор": "Викторов", "Юрий": "Юрьев", "Пётр": "Петров"}
)

type person struct {
	family, given, patronymic, gender string
}

func randomPerson(rng *rand.Rand) person {
	father := fatherNames[rng.IntN(len(fatherNames))]
	family := maleFamilies[rng.IntN(len(maleFamilies))]
	if rng.IntN(2) == 0 {
		return person{family, maleGiven[rng.IntN(len(maleGiven))], patronymicRoot[father] + "ич", "male"}
	}
	return person{family + "а", femaleGiven[rng.IntN(len(femaleGiven))], patronymicRoot[father] + "на", "female"}
}

func (p person) name() fhir.HumanName {
	return fhir.HumanName{
		Use:    "official",
		Text:   p.family + " " + p.given + " " + p.patronymic,
		Family: p.family,
		Given:  []string{p.given, p.patronymic},
	}
}

func mobile(rng *rand.Rand) string {
	codes := []string{"912", "922", "932", "950", "952", "902", "908", "963", "982", "999"}
	return fmt.Sprintf("+7%s%07d", codes[rng.IntN(len(codes))], rng.IntN(10_000_000))
}

// seed fills an empty store with the demo clinic: branches, specialties as services, doctors,
// their roles and schedules, slots for 14 days from start (working days, 8:00–20:00 local) with
// about a quarter of them booked, and patients.
func (s *Server) seed(seed uint64, start time.Time) {
	rng := rand.New(rand.NewPCG(seed, seed^0x6f6b6e6f))
	stamp := s.now()

	for i, b := range branches {
		id := fmt.Sprintf("branch-%d", i+1)
		s.put(&fhir.Location{
			DomainResource: fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: id}},
			Identifier:     []fhir.Identifier{{System: "http://okno.local/fhir/sid/branch", Value: id}},
			Status:         "active",
			Name:           b.name,
			Mode:           "instance",
			Telecom:        []fhir.ContactPoint{{System: "phone", Value: b.phone, Use: "work"}},
			Address: &fhir.Address{
				Use: "work", Type: "physical",
				Text:       "г. Екатеринбург, " + b.street,
				Line:       []string{b.street},
				City:       "Екатеринбург",
				State:      "Свердловская область",
				PostalCode: b.postal,
				Country:    "RU",
			},
			HoursOfOperation: []fhir.HoursOfOperation{{DaysOfWeek: []string{"mon", "tue", "wed", "thu", "fri"}, OpeningTime: "08:00:00", ClosingTime: "20:00:00"}},
		}, stamp)
	}

	// Services: a first and a repeat visit per specialty, offered in every branch.
	allBranches := make([]fhir.Reference, len(branches))
	for i := range branches {
		allBranches[i] = fhir.Ref("Location", fmt.Sprintf("branch-%d", i+1))
	}
	for _, sp := range specialties {
		for _, kind := range []struct {
			suffix, name string
			price        int
		}{{"first", "первичный", sp.price}, {"repeat", "повторный", sp.price * 8 / 10 / 100 * 100}} {
			name := "Приём врача: " + sp.ru + ", " + kind.name
			if sp.code == "ultrasound" {
				name = "УЗИ-исследование, " + map[string]string{"first": "одна зона", "repeat": "контрольное"}[kind.suffix]
			}
			s.put(&fhir.HealthcareService{
				DomainResource: fhir.DomainResource{
					ResourceBase: fhir.ResourceBase{ID: "svc-" + sp.code + "-" + kind.suffix},
					Extension: []fhir.Extension{{URL: PriceExtension, ValueMoney: &fhir.Money{
						Value: jsonNumber(kind.price), Currency: "RUB",
					}}},
				},
				Active:              fhir.Bool(true),
				Specialty:           []fhir.CodeableConcept{sp.concept()},
				Location:            allBranches,
				Name:                name,
				Comment:             fmt.Sprintf("Стоимость: %d ₽", kind.price),
				AppointmentRequired: fhir.Bool(true),
			}, stamp)
		}
	}

	// Doctors: one per specialty, then 25 more where demand is higher.
	docSpecs := make([]int, 0, 40)
	for i := range specialties {
		docSpecs = append(docSpecs, i)
	}
	busyOnes := []int{0, 0, 0, 12, 12, 13, 13, 5, 14, 14, 1, 2, 3, 4, 8, 10, 11, 6, 7, 9, 0, 12, 5, 14, 2}
	docSpecs = append(docSpecs, busyOnes...)

	days := workingDays(start, 14)
	slotN, apptN := 0, 0
	type booking struct {
		slot *fhir.Slot
		role *fhir.PractitionerRole
	}
	var toBook []booking
	for d, spi := range docSpecs {
		sp := specialties[spi]
		p := randomPerson(rng)
		docID := fmt.Sprintf("doc-%02d", d+1)
		s.put(&fhir.Practitioner{
			DomainResource: fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: docID}},
			Identifier:     []fhir.Identifier{{System: "http://okno.local/fhir/sid/employee", Value: fmt.Sprintf("E%04d", 1000+d)}},
			Active:         fhir.Bool(true),
			Name:           []fhir.HumanName{p.name()},
			Gender:         p.gender,
			Qualification:  []fhir.PractitionerQualification{{Code: fhir.CodeableConcept{Text: "Врач — " + sp.ru}}},
		}, stamp)
		// One or two branches.
		home := rng.IntN(len(branches))
		workAt := []int{home}
		if rng.IntN(3) == 0 {
			workAt = append(workAt, (home+1+rng.IntN(len(branches)-1))%len(branches))
		}
		morning := rng.IntN(2) == 0
		for bi, b := range workAt {
			roleID := fmt.Sprintf("role-%02d-%d", d+1, b+1)
			schedID := fmt.Sprintf("sched-%02d-%d", d+1, b+1)
			role := &fhir.PractitionerRole{
				DomainResource:    fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: roleID}},
				Active:            fhir.Bool(true),
				Practitioner:      &fhir.Reference{Reference: "Practitioner/" + docID, Display: p.name().Text},
				Code:              []fhir.CodeableConcept{{Coding: []fhir.Coding{{System: "http://terminology.hl7.org/CodeSystem/practitioner-role", Code: "doctor", Display: "Doctor"}}}},
				Specialty:         []fhir.CodeableConcept{sp.concept()},
				Location:          []fhir.Reference{{Reference: "Location/" + fmt.Sprintf("branch-%d", b+1), Display: branches[b].name}},
				HealthcareService: []fhir.Reference{fhir.Ref("HealthcareService", "svc-"+sp.code+"-first"), fhir.Ref("HealthcareService", "svc-"+sp.code+"-repeat")},
			}
			s.put(role, stamp)
			s.put(&fhir.Schedule{
				DomainResource: fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: schedID}},
				Active:         fhir.Bool(true),
				Specialty:      []fhir.CodeableConcept{sp.concept()},
				Actor: []fhir.Reference{
					{Reference: "PractitionerRole/" + roleID},
					{Reference: "Practitioner/" + docID, Display: p.name().Text},
					{Reference: "Location/" + fmt.Sprintf("branch-%d", b+1), Display: branches[b].name},
				},
				PlanningHorizon: &fhir.Period{Start: fhir.DateTime(days[0]), End: fhir.DateTime(days[len(days)-1].Add(24 * time.Hour))},
				Comment:         sp.ru + ", " + branches[b].name,
			}, stamp)
			for di, day := range days {
				// A doctor with two branches alternates them by day; shifts alternate morning
				// (8–14) and evening (14–20) by day, and every fifth working day is a full day.
				if len(workAt) == 2 && di%2 != bi {
					continue
				}
				from, to := 8, 14
				if (di%2 == 0) != morning {
					from, to = 14, 20
				}
				if di%5 == 4 {
					from, to = 8, 20
				}
				for t := day.Add(time.Duration(from) * time.Hour); t.Before(day.Add(time.Duration(to) * time.Hour)); t = t.Add(time.Duration(sp.slotMinutes) * time.Minute) {
					slotN++
					sl := &fhir.Slot{
						DomainResource: fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: fmt.Sprintf("slot-%05d", slotN)}},
						Specialty:      []fhir.CodeableConcept{sp.concept()},
						Schedule:       fhir.Ref("Schedule", schedID),
						Status:         fhir.SlotFree,
						Start:          fhir.DateTime(t),
						End:            fhir.DateTime(t.Add(time.Duration(sp.slotMinutes) * time.Minute)),
					}
					if rng.IntN(4) == 0 {
						sl.Status = fhir.SlotBusy
						toBook = append(toBook, booking{sl, role})
					}
					s.put(sl, stamp)
				}
			}
		}
	}

	// Patients, with two families sharing a phone (a parent books for a child).
	const patients = 36
	var patientIDs []string
	var lastPhone string
	for i := range patients {
		p := randomPerson(rng)
		id := fmt.Sprintf("pat-%03d", i+1)
		phone := mobile(rng)
		birth := time.Date(1950+rng.IntN(55), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		if i == 10 || i == 20 { // a child sharing the previous patient's phone
			phone = lastPhone
			birth = time.Date(2012+rng.IntN(10), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		}
		lastPhone = phone
		s.put(&fhir.Patient{
			DomainResource: fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: id}},
			Identifier:     []fhir.Identifier{{Use: "usual", System: MRNSystem, Value: fmt.Sprintf("MK-%06d", 100000+i*37)}},
			Active:         fhir.Bool(true),
			Name:           []fhir.HumanName{p.name()},
			Telecom:        []fhir.ContactPoint{{System: "phone", Value: phone, Use: "mobile"}},
			Gender:         p.gender,
			BirthDate:      birth.Format("2006-01-02"),
			Address:        []fhir.Address{{Use: "home", City: "Екатеринбург", Country: "RU"}},
		}, stamp)
		patientIDs = append(patientIDs, id)
	}
	s.nextPatient = patients + 1

	for _, b := range toBook {
		apptN++
		pid := patientIDs[rng.IntN(len(patientIDs))]
		s.put(s.appointmentFor(fmt.Sprintf("appt-%05d", apptN), b.slot, b.role, pid, stamp), stamp)
	}
	s.nextAppointment = apptN + 1
}

// appointmentFor builds a booked appointment in the slot for the patient.
func (s *Server) appointmentFor(id string, sl *fhir.Slot, role *fhir.PractitionerRole, patientID string, created time.Time) *fhir.Appointment {
	a := &fhir.Appointment{
		DomainResource: fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: id}},
		Status:         fhir.AppointmentBooked,
		Specialty:      sl.Specialty,
		Start:          sl.Start,
		End:            sl.End,
		Slot:           []fhir.Reference{fhir.Ref("Slot", sl.ID)},
		Created:        fhir.DateTime(created.In(Yekaterinburg)),
		Participant: []fhir.AppointmentParticipant{
			{Actor: &fhir.Reference{Reference: "Patient/" + patientID}, Required: "required", Status: "accepted"},
		},
	}
	return withRoleParticipants(a, role)
}

// withRoleParticipants adds the practitioner, role and location of the slot's schedule as
// participants unless the client named them.
func withRoleParticipants(a *fhir.Appointment, role *fhir.PractitionerRole) *fhir.Appointment {
	if role == nil {
		return a
	}
	have := map[string]bool{}
	for _, p := range a.Participant {
		if p.Actor != nil {
			have[p.Actor.Reference] = true
		}
	}
	add := func(ref fhir.Reference) {
		if ref.Reference == "" || have[ref.Reference] {
			return
		}
		r := ref
		a.Participant = append(a.Participant, fhir.AppointmentParticipant{Actor: &r, Required: "required", Status: "accepted"})
	}
	if role.Practitioner != nil {
		add(*role.Practitioner)
	}
	add(fhir.Ref("PractitionerRole", role.ID))
	for _, l := range role.Location {
		add(l)
	}
	return a
}

// workingDays lists the Monday–Friday dates (local midnight in Yekaterinburg) among n calendar
// days from start.
func workingDays(start time.Time, n int) []time.Time {
	y, m, d := start.In(Yekaterinburg).Date()
	first := time.Date(y, m, d, 0, 0, 0, 0, Yekaterinburg)
	var out []time.Time
	for i := range n {
		day := first.AddDate(0, 0, i)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			out = append(out, day)
		}
	}
	return out
}
